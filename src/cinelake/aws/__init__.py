"""AWS-only tooling: reading template.yaml and generating its Glue tables.

Nothing here is imported by the Lambda handlers; it serves `make package`, the template
generator (`python -m cinelake.aws.glue_tables`) and the emulator tests under tests/aws/.
"""
