"""cinelake: today's top movies, enriched from OMDb, through a bronze/silver/gold lake."""

__version__ = "0.1.0"
