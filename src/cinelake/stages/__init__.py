"""The four stages as plain functions over the ports; handlers and runtimes call these."""
