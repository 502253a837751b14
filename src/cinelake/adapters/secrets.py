"""Where the OMDb key comes from: the environment, a file, or AWS Secrets Manager.

Every key read is registered with `observability.redact` so it is masked in any log line.
"""

from __future__ import annotations

import json
from pathlib import Path

from cinelake.keys import SecretError
from cinelake.observability import redact, register_secret


class StaticKey:
    def __init__(self, value: str | None) -> None:
        self._value = value.strip() if value else None
        if self._value:
            register_secret(self._value)

    def get(self) -> str | None:
        return self._value or None

    def forget(self) -> None:
        """A static key cannot be read again."""


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

    def forget(self) -> None:
        """The file is read on every `get`."""


class SecretsManagerKey:
    """A secret that is a plain string or a JSON object with the key in `field`.

    Powertools caches a value it read for max_age, so a warm function does not call Secrets
    Manager on every invocation; a failed read is not cached (the next invocation tries again),
    and `forget` (OMDb refused the key) makes the next read fetch the secret anew.
    """

    def __init__(self, name: str, field: str | None = None, max_age_s: int = 3600) -> None:
        self.name = name
        self.field = field
        self.max_age_s = max_age_s
        self._stale = False

    def forget(self) -> None:
        self._stale = True

    def get(self) -> str | None:
        from aws_lambda_powertools.utilities import parameters

        try:
            raw = parameters.get_secret(self.name, max_age=self.max_age_s, force_fetch=self._stale)
        except Exception as exc:
            # The cause (e.g. ResourceNotFoundException, AccessDeniedException) names the
            # problem; a failed read carries no secret value.
            cause = redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)[:300]
            raise SecretError(
                f"cannot read secret {self.name!r} from Secrets Manager: {cause}"
            ) from None
        self._stale = False
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
