"""The OMDb API: an async client with an error taxonomy, and a response cache."""
