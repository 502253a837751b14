"""Where the OMDb key comes from: the environment, a file, or AWS Secrets Manager.

Every key read is registered with `observability.redact` so it is masked in any log line.
"""

from __future__ import annotations

import json
from pathlib import Path

from cinelake.keys import SecretError
from cinelake.observability import register_secret


class StaticKey:
    def __init__(self, value: str | None) -> None:
        self._value = value.strip() if value else None
        if self._value:
            register_secret(self._value)

    def get(self) -> str | None:
        return self._value or None


class FileKey:
    def __init__(self, path: Path) -> None:
        self.path = path

    def get(self) -> str | None:
        try:
            value = self.path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretError(
                f"cannot read the OMDb key file {self.path}: {exc.strerror}"
            ) from None
        if not value:
            raise SecretError(f"the OMDb key file {self.path} is empty")
        register_secret(value)
        return value


class SecretsManagerKey:
    """A secret that is a plain string or a JSON object with the key in `field`.

    Powertools caches it for the life of the Lambda container (max_age), so a warm function
    does not call Secrets Manager on every invocation.
    """

    def __init__(self, name: str, field: str | None = None, max_age_s: int = 3600) -> None:
        self.name = name
        self.field = field
        self.max_age_s = max_age_s

    def get(self) -> str | None:
        from aws_lambda_powertools.utilities import parameters

        try:
            raw = parameters.get_secret(self.name, max_age=self.max_age_s)
        except Exception as exc:
            raise SecretError(
                f"cannot read secret {self.name!r} from Secrets Manager ({type(exc).__name__})"
            ) from None
        value = raw.decode() if isinstance(raw, bytes) else str(raw)
        if self.field:
            try:
                value = str(json.loads(value)[self.field])
            except (json.JSONDecodeError, KeyError, TypeError):
                raise SecretError(
                    f"secret {self.name!r} is not JSON with a field {self.field!r}"
                ) from None
        value = value.strip()
        register_secret(value)
        return value or None
