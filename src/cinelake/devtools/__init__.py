"""Developer tools: an offline OMDb simulator and a synthetic-data generator.

They exist so tests, benchmarks and the demo never need the real OMDb API or a key.
"""
