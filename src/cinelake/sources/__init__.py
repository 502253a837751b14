"""Where the day's top list comes from."""
