"""`cinelake config`: every effective setting and where it came from, secrets masked.

Precedence is the one Settings applies: flag > environment > TOML file > default.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from cinelake.config import Settings

# cinelake.observability (Powertools) is imported by `shown`: every command reads its settings
# through this module (`cinelake query` too), and only `cinelake config` shows them.

ENV_PREFIX = "CINELAKE_"
FLAG_NAMES = {"schedule_cron": "--cron", "schedule_timezone": "--timezone"}


class ConfigFileError(ValueError):
    """The TOML file cannot be read or parsed; the message names the file."""


@dataclass
class ConfigValue:
    name: str
    value: Any  # as shown: secrets masked, paths as text
    source: str  # flag, env, file or default
    origin: str  # e.g. "--top-n", "env CINELAKE_TOP_N", "file cinelake.toml", "default"
    description: str


@dataclass
class ConfigReport:
    file: str
    file_found: bool
    values: list[ConfigValue]
    unknown_keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def env_names(name: str) -> list[str]:
    """The variables that set a field: CINELAKE_<NAME>, or the field's alias (OMDB_API_KEY)."""
    alias = Settings.model_fields[name].validation_alias
    return [alias] if isinstance(alias, str) else [f"{ENV_PREFIX}{name.upper()}"]


def read_toml(path: Path) -> dict[str, Any]:
    """The file's keys ({} when it does not exist); ConfigFileError naming the file otherwise."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _file_keys(name: str) -> list[str]:
    alias = Settings.model_fields[name].validation_alias
    return [name] + ([alias] if isinstance(alias, str) else [])


def origins(
    flags: Mapping[str, Any], config_file: Path, environ: Mapping[str, str] | None = None
) -> dict[str, tuple[str, str]]:
    """field -> (source, origin) for every Settings field."""
    environ = os.environ if environ is None else environ
    lowered = {k.lower(): k for k in environ}
    toml = read_toml(config_file)
    out: dict[str, tuple[str, str]] = {}
    for name in Settings.model_fields:
        if flags.get(name) is not None:
            out[name] = ("flag", FLAG_NAMES.get(name, "--" + name.replace("_", "-")))
            continue
        env = next((lowered[e.lower()] for e in env_names(name) if e.lower() in lowered), None)
        if env is not None:
            out[name] = ("env", f"env {env}")
        elif any(k in toml for k in _file_keys(name)):
            out[name] = ("file", f"file {config_file}")
        else:
            out[name] = ("default", "default")
    return out


def unknown_keys(config_file: Path) -> list[str]:
    known = {k for name in Settings.model_fields for k in _file_keys(name)}
    return sorted(k for k in read_toml(config_file) if k not in known)


def shown(name: str, value: Any, origin: str) -> Any:
    if isinstance(value, SecretStr):
        return f"set ({origin})" if value.get_secret_value() else "not set"
    if name == "omdb_api_key" and value is None:
        return "not set"
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str):
        from cinelake.observability import redact

        return redact(value)
    return value


def config_report(settings: Settings, flags: Mapping[str, Any], config_file: Path) -> ConfigReport:
    where = origins(flags, config_file)
    values = [
        ConfigValue(
            name,
            shown(name, getattr(settings, name), where[name][1]),
            *where[name],
            info.description or "",
        )
        for name, info in Settings.model_fields.items()
    ]
    return ConfigReport(
        str(config_file), Path(config_file).is_file(), values, unknown_keys(config_file)
    )
