"""Runtimes that deliver AWS-shaped events to the handlers. `local` is the embedded default."""
