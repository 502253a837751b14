"""Configuration: one Settings object, from flags > environment > cinelake.toml > defaults."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_OMDB_URL = "https://www.omdbapi.com/"
CONFIG_FILE = "cinelake.toml"


class Settings(BaseSettings):
    """Everything a run needs. Environment variables are CINELAKE_<NAME>; the key is OMDB_API_KEY."""

    model_config = SettingsConfigDict(
        env_prefix="CINELAKE_",
        toml_file=CONFIG_FILE,
        extra="ignore",
        populate_by_name=True,
        # A bad value may be a secret (a key pasted into a URL): never echo inputs in errors.
        hide_input_in_errors=True,
    )

    # Where things run
    backend: Literal["local", "aws"] = Field("local", description="local folders or AWS services")
    data_dir: Path = Field(Path("lake"), description="local lake root (bronze/, silver/, gold/)")
    bronze_bucket: str = Field("bronze", description="bronze bucket name (AWS backend)")
    silver_bucket: str = Field("silver", description="silver bucket name (AWS backend)")
    gold_bucket: str = Field("gold", description="gold bucket name (AWS backend)")
    queue_url: str | None = Field(None, description="SQS queue URL (AWS backend)")
    dlq_url: str | None = Field(None, description="SQS dead-letter queue URL (AWS backend)")
    aws_endpoint_url: str | None = Field(None, description="AWS endpoint override (emulators)")

    # What a run does
    source: str | None = Field(
        None, description="imdb-datasets, or a top list: path, http(s):// or s3:// URL"
    )
    source_secret_name: str | None = Field(
        None,
        description="Secrets Manager secret holding the key a source URL's {key} stands for",
    )
    source_secret_field: str | None = Field(
        "api_key", description="JSON field of that secret holding the key (empty: the whole secret)"
    )
    source_max_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="largest source list read, bytes"
    )
    source_deadline_s: float = Field(
        120.0, gt=0, description="longest time to download the source list, seconds"
    )
    imdb_datasets_url: str = Field(
        "https://datasets.imdbws.com/",
        description="where imdb-datasets reads title.basics/title.ratings: URL or directory",
    )
    min_votes: int = Field(25_000, ge=1, description="imdb-datasets: votes a movie needs (m)")
    genre: str | None = Field(None, description="imdb-datasets: only movies of this genre")
    year_from: int | None = Field(None, ge=1870, le=9999, description="imdb-datasets: from year")
    year_to: int | None = Field(None, ge=1870, le=9999, description="imdb-datasets: to year")
    top_n: int = Field(10, ge=1, description="how many movies from the top of the list")
    batch_size: int = Field(1, ge=1, description="movies per queue message")

    # OMDb
    omdb_url: str = Field(DEFAULT_OMDB_URL, description="OMDb API base URL")
    omdb_api_key: SecretStr | None = Field(
        None, validation_alias="OMDB_API_KEY", description="OMDb API key"
    )
    omdb_api_key_file: Path | None = Field(None, description="file holding the OMDb key")
    omdb_secret_name: str | None = Field(None, description="Secrets Manager secret with the key")
    omdb_secret_field: str | None = Field(None, description="JSON field of that secret")
    offline: bool = Field(False, description="use the bundled sample instead of OMDb")
    concurrency: int = Field(8, ge=1, le=256, description="OMDb requests in flight at most")
    rate_limit: float = Field(10.0, ge=0, description="OMDb requests per second (0 = no limit)")
    timeout_s: float = Field(10.0, gt=0, description="OMDb request timeout, seconds")
    max_answer_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        le=2 * 1024 * 1024,
        description="largest OMDb answer read, bytes (a larger one fails the movie)",
    )
    answer_deadline_s: float = Field(
        30.0, gt=0, description="longest time for one OMDb answer, request to last byte"
    )
    max_retries: int = Field(4, ge=0, le=10, description="retries of a transient OMDb failure")
    backoff_base_s: float = Field(0.5, ge=0, description="first retry delay, seconds")
    backoff_max_s: float = Field(20.0, ge=0, description="longest retry delay, seconds")
    cache_ttl_days: float = Field(7.0, ge=0, description="days an OMDb answer is reused")
    refresh: bool = Field(False, description="ignore cached OMDb answers")
    omdb_daily_budget: int = Field(
        1000,
        ge=0,
        description="OMDb requests sent at most per UTC day, across every run of the day",
    )

    # Queue behaviour (keep max_receive_count equal to the DLQ redrive policy on AWS)
    max_receive_count: int = Field(3, ge=1, le=1000, description="receives before dead-letter")
    visibility_timeout_s: float = Field(300.0, gt=0, description="queue visibility timeout")
    retry_delay_s: float = Field(
        1.0, ge=0, description="local: delay before a failed message returns"
    )
    records_per_invocation: int = Field(10, ge=1, le=10, description="SQS records per enrich call")

    # The local scheduler (`cinelake schedule`)
    schedule_cron: str = Field("0 3 * * *", description="when `cinelake schedule` runs (cron)")
    schedule_timezone: str = Field("UTC", description="time zone of the cron expression")

    # The daily digest (a webhook URL is a credential: a secret string, or Secrets Manager)
    notify_url: SecretStr | None = Field(
        None, description="webhook URL the daily digest is POSTed to after each run"
    )
    notify_secret_name: str | None = Field(
        None, description="Secrets Manager secret holding the digest's webhook URL (AWS)"
    )

    @field_validator("notify_url")
    @classmethod
    def _notify_url(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None:
            return None
        text = v.get_secret_value().strip()
        if not text:
            return None
        if not text.startswith(("https://", "http://")):
            raise ValueError("must be an http(s):// URL")
        return SecretStr(text)

    # Data quality (cinelake.quality.CHECKS has every check and its default thresholds)
    quality_thresholds: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description=(
            "data-quality thresholds overriding the checks' defaults, by check: "
            "{check = {warn = X, fail = Y}}"
        ),
    )

    @field_validator("quality_thresholds")
    @classmethod
    def _quality(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        from cinelake.quality import validate_overrides

        validate_overrides(v)
        return v

    @field_validator("omdb_url")
    @classmethod
    def _url(cls, v: str) -> str:
        # The messages never repeat the value: a pasted URL often carries the key.
        from urllib.parse import urlsplit

        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        try:
            parts = urlsplit(v)
        except ValueError:
            raise ValueError("not a valid URL") from None
        if parts.query or parts.fragment or "?" in v or "#" in v or "@" in parts.netloc:
            raise ValueError(
                "must be the bare base URL, without a query string, fragment or user info: "
                "put the key in OMDB_API_KEY, not in the URL"
            )
        if not parts.hostname:
            raise ValueError("must name a host")
        return v

    @field_validator("genre")
    @classmethod
    def _genre(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip()
        if not v or "," in v or len(v) > 40:
            raise ValueError("one genre name, e.g. Horror")
        return v

    @model_validator(mode="after")
    def _years(self) -> Settings:
        if (
            self.year_from is not None
            and self.year_to is not None
            and self.year_from > self.year_to
        ):
            raise ValueError(f"year_from {self.year_from} is after year_to {self.year_to}")
        return self

    @field_validator("schedule_cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        from croniter import croniter

        if not croniter.is_valid(v):
            raise ValueError(f"not a cron expression: {v!r}")
        from datetime import UTC, datetime

        from croniter import CroniterBadDateError

        try:  # valid syntax that never fires (e.g. 30 February): no next time to wait for
            croniter(v, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
        except (CroniterBadDateError, ValueError):
            raise ValueError(f"the cron expression {v!r} never fires") from None
        return v

    @field_validator("schedule_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (e.g. UTC, Europe/Paris)") from None
        return v

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


CONFIG_ENV = "CINELAKE_CONFIG"


def config_path(explicit: Path | str | None = None) -> Path:
    """The TOML file in effect: --config, else $CINELAKE_CONFIG, else ./cinelake.toml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or CONFIG_FILE)


@functools.cache
def _settings_class(toml_file: str) -> type[Settings]:
    if toml_file == CONFIG_FILE:
        return Settings
    config = SettingsConfigDict(**{**Settings.model_config, "toml_file": toml_file})  # type: ignore
    return type("Settings", (Settings,), {"model_config": config, "__module__": __name__})


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Settings with the given overrides (CLI flags) on top; None means "not given"."""
    cls = _settings_class(str(config_path(config_file)))
    return cls(**{k: v for k, v in overrides.items() if v is not None})
