"""The OMDb key port: what the enrich stage needs of a key source, apart from where keys live.

Implementations (environment, file, AWS Secrets Manager) are in :mod:`cinelake.adapters.secrets`.
"""

from __future__ import annotations

from typing import Protocol


class SecretError(Exception):
    """The key source is configured but unusable (message never includes the secret)."""


class KeyProvider(Protocol):
    def get(self) -> str | None: ...

    def forget(self) -> None:
        """Drop a cached key (OMDb refused it), so the next `get` reads the source again."""
