"""Ports (small interfaces) and their local and AWS implementations."""
