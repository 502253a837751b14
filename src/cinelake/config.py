"""Configuration: one Settings object, from flags > environment > cinelake.toml > defaults.

Each field's default, description and bounds come from `cinelake.setting_specs` (their one
home, plain Python so that the CLI's help reads them without pydantic); here each gets its type
and its validation."""

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

from cinelake.setting_specs import DEFAULT_OMDB_URL as DEFAULT_OMDB_URL
from cinelake.setting_specs import SETTINGS

CONFIG_FILE = "cinelake.toml"


def from_spec(name: str, **pydantic_only: Any) -> Any:
    """The field of the setting `name`: its default, description and bounds from
    `cinelake.setting_specs` (their one home); `pydantic_only`: what only pydantic needs."""
    setting = SETTINGS[name]
    bounds = {k: v for k in ("ge", "gt", "le") if (v := getattr(setting, k)) is not None}
    if setting.default_factory is not None:
        return Field(
            default_factory=setting.default_factory,
            description=setting.description,
            **bounds,
            **pydantic_only,
        )
    return Field(setting.default, description=setting.description, **bounds, **pydantic_only)


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
    backend: Literal["local", "aws"] = from_spec("backend")
    data_dir: Path = from_spec("data_dir")
    bronze_bucket: str = from_spec("bronze_bucket")
    silver_bucket: str = from_spec("silver_bucket")
    gold_bucket: str = from_spec("gold_bucket")
    queue_url: str | None = from_spec("queue_url")
    dlq_url: str | None = from_spec("dlq_url")
    aws_endpoint_url: str | None = from_spec("aws_endpoint_url")

    # What a run does
    source: str | None = from_spec("source")
    source_secret_name: str | None = from_spec("source_secret_name")
    source_secret_field: str | None = from_spec("source_secret_field")
    source_max_bytes: int = from_spec("source_max_bytes")
    source_deadline_s: float = from_spec("source_deadline_s")
    imdb_datasets_url: str = from_spec("imdb_datasets_url")
    min_votes: int = from_spec("min_votes")
    genre: str | None = from_spec("genre")
    year_from: int | None = from_spec("year_from")
    year_to: int | None = from_spec("year_to")
    top_n: int = from_spec("top_n")
    batch_size: int = from_spec("batch_size")

    # OMDb
    omdb_url: str = from_spec("omdb_url")
    omdb_api_key: SecretStr | None = from_spec("omdb_api_key", validation_alias="OMDB_API_KEY")
    omdb_api_key_file: Path | None = from_spec("omdb_api_key_file")
    omdb_secret_name: str | None = from_spec("omdb_secret_name")
    omdb_secret_field: str | None = from_spec("omdb_secret_field")
    offline: bool = from_spec("offline")
    concurrency: int = from_spec("concurrency")
    rate_limit: float = from_spec("rate_limit")
    timeout_s: float = from_spec("timeout_s")
    max_answer_bytes: int = from_spec("max_answer_bytes")
    answer_deadline_s: float = from_spec("answer_deadline_s")
    max_retries: int = from_spec("max_retries")
    backoff_base_s: float = from_spec("backoff_base_s")
    backoff_max_s: float = from_spec("backoff_max_s")
    cache_ttl_days: float = from_spec("cache_ttl_days")
    refresh: bool = from_spec("refresh")
    omdb_daily_budget: int = from_spec("omdb_daily_budget")

    # Queue behaviour (keep max_receive_count equal to the DLQ redrive policy on AWS)
    max_receive_count: int = from_spec("max_receive_count")
    visibility_timeout_s: float = from_spec("visibility_timeout_s")
    retry_delay_s: float = from_spec("retry_delay_s")
    records_per_invocation: int = from_spec("records_per_invocation")

    # The local scheduler (`cinelake schedule`)
    schedule_cron: str = from_spec("schedule_cron")
    schedule_timezone: str = from_spec("schedule_timezone")

    # The daily digest (a webhook URL is a credential: a secret string, or Secrets Manager)
    notify_url: SecretStr | None = from_spec("notify_url")
    notify_secret_name: str | None = from_spec("notify_secret_name")

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
    quality_thresholds: dict[str, dict[str, float]] = from_spec("quality_thresholds")

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
