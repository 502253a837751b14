"""What each setting is: its default, its description and its bounds, declared once, in plain
Python (no pydantic).

Two readers: `Settings` (`cinelake.config`, pydantic-settings) builds each field from here and
adds the type and the validation; the CLI's options (`cinelake.cli.options`) take their help
text, their "[default: ...]" and their parse-time range from here, so `cinelake --help` starts
without loading pydantic. A new setting is one entry below and one typed field in `Settings`
(`tests/unit/test_setting_specs.py` checks that the two name the same settings).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple


class SettingSpec(NamedTuple):
    """One setting: its default (or a factory for a mutable one), what it means, its bounds."""

    default: Any
    description: str
    ge: int | float | None = None
    gt: int | float | None = None
    le: int | float | None = None
    default_factory: Callable[[], Any] | None = None


DEFAULT_OMDB_URL = "https://www.omdbapi.com/"

SETTINGS: dict[str, SettingSpec] = {
    # Where things run
    "backend": SettingSpec("local", "local folders or AWS services"),
    "data_dir": SettingSpec(Path("lake"), "local lake root (bronze/, silver/, gold/)"),
    "bronze_bucket": SettingSpec("bronze", "bronze bucket name (AWS backend)"),
    "silver_bucket": SettingSpec("silver", "silver bucket name (AWS backend)"),
    "gold_bucket": SettingSpec("gold", "gold bucket name (AWS backend)"),
    "queue_url": SettingSpec(None, "SQS queue URL (AWS backend)"),
    "dlq_url": SettingSpec(None, "SQS dead-letter queue URL (AWS backend)"),
    "aws_endpoint_url": SettingSpec(None, "AWS endpoint override (emulators)"),
    # What a run does
    "source": SettingSpec(None, "imdb-datasets, or a top list: path, http(s):// or s3:// URL"),
    "source_secret_name": SettingSpec(
        None, "Secrets Manager secret holding the key a source URL's {key} stands for"
    ),
    "source_secret_field": SettingSpec(
        "api_key", "JSON field of that secret holding the key (empty: the whole secret)"
    ),
    "source_max_bytes": SettingSpec(64 * 1024 * 1024, "largest source list read, bytes", ge=1024),
    "source_deadline_s": SettingSpec(
        120.0, "longest time to download the source list, seconds", gt=0
    ),
    "imdb_datasets_url": SettingSpec(
        "https://datasets.imdbws.com/",
        "where imdb-datasets reads title.basics/title.ratings: URL or directory",
    ),
    "min_votes": SettingSpec(25_000, "imdb-datasets: votes a movie needs (m)", ge=1),
    "genre": SettingSpec(None, "imdb-datasets: only movies of this genre"),
    "year_from": SettingSpec(None, "imdb-datasets: from year", ge=1870, le=9999),
    "year_to": SettingSpec(None, "imdb-datasets: to year", ge=1870, le=9999),
    "top_n": SettingSpec(10, "how many movies from the top of the list", ge=1),
    "batch_size": SettingSpec(1, "movies per queue message", ge=1),
    # OMDb
    "omdb_url": SettingSpec(DEFAULT_OMDB_URL, "OMDb API base URL"),
    "omdb_api_key": SettingSpec(None, "OMDb API key"),
    "omdb_api_key_file": SettingSpec(None, "file holding the OMDb key"),
    "omdb_secret_name": SettingSpec(None, "Secrets Manager secret with the key"),
    "omdb_secret_field": SettingSpec(None, "JSON field of that secret"),
    "offline": SettingSpec(False, "use the bundled sample instead of OMDb"),
    "concurrency": SettingSpec(8, "OMDb requests in flight at most", ge=1, le=256),
    "rate_limit": SettingSpec(10.0, "OMDb requests per second (0 = no limit)", ge=0),
    "timeout_s": SettingSpec(10.0, "OMDb request timeout, seconds", gt=0),
    "max_answer_bytes": SettingSpec(
        1024 * 1024,
        "largest OMDb answer read, bytes (a larger one fails the movie)",
        ge=1024,
        le=2 * 1024 * 1024,
    ),
    "answer_deadline_s": SettingSpec(
        30.0, "longest time for one OMDb answer, request to last byte", gt=0
    ),
    "max_retries": SettingSpec(4, "retries of a transient OMDb failure", ge=0, le=10),
    "backoff_base_s": SettingSpec(0.5, "first retry delay, seconds", ge=0),
    "backoff_max_s": SettingSpec(20.0, "longest retry delay, seconds", ge=0),
    "cache_ttl_days": SettingSpec(7.0, "days an OMDb answer is reused", ge=0),
    "refresh": SettingSpec(False, "ignore cached OMDb answers"),
    "omdb_daily_budget": SettingSpec(
        1000, "OMDb requests sent at most per UTC day, across every run of the day", ge=0
    ),
    # Queue behaviour (keep max_receive_count equal to the DLQ redrive policy on AWS)
    "max_receive_count": SettingSpec(3, "receives before dead-letter", ge=1, le=1000),
    "visibility_timeout_s": SettingSpec(300.0, "queue visibility timeout", gt=0),
    "retry_delay_s": SettingSpec(1.0, "local: delay before a failed message returns", ge=0),
    "records_per_invocation": SettingSpec(10, "SQS records per enrich call", ge=1, le=10),
    # The local scheduler (`cinelake schedule`)
    "schedule_cron": SettingSpec("0 3 * * *", "when `cinelake schedule` runs (cron)"),
    "schedule_timezone": SettingSpec("UTC", "time zone of the cron expression"),
    # The daily digest (a webhook URL is a credential: a secret string, or Secrets Manager)
    "notify_url": SettingSpec(None, "webhook URL the daily digest is POSTed to after each run"),
    "notify_secret_name": SettingSpec(
        None, "Secrets Manager secret holding the digest's webhook URL (AWS)"
    ),
    # Data quality (cinelake.quality.CHECKS has every check and its default thresholds)
    "quality_thresholds": SettingSpec(
        None,
        "data-quality thresholds overriding the checks' defaults, by check: "
        "{check = {warn = X, fail = Y}}",
        default_factory=dict,
    ),
}
