"""Response cache TTL and keying, key providers, and log masking."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cinelake.adapters.secrets import FileKey, StaticKey
from cinelake.adapters.storage import LocalObjectStore
from cinelake.bootstrap import key_provider
from cinelake.config import Settings
from cinelake.keys import SecretError
from cinelake.observability import RedactingFilter, redact, register_secret
from cinelake.omdb.cache import ResponseCache, cache_key

NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def test_cache_honours_ttl_and_params(tmp_path: Path) -> None:
    cache = ResponseCache(LocalObjectStore(tmp_path, "bronze"), timedelta(days=7))
    params = {"i": "tt0111161", "plot": "short", "r": "json"}
    cache.put("tt0111161", params, kind="found", body={"Title": "X"}, http_status=200, now=NOW)
    assert cache.get("tt0111161", params, NOW + timedelta(days=6))["body"] == {"Title": "X"}
    assert cache.get("tt0111161", params, NOW + timedelta(days=8)) is None
    assert cache.get("tt0111161", params | {"plot": "full"}, NOW) is None


def test_cache_key_ignores_the_api_key_and_never_stores_it(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path, "bronze")
    params = {"i": "tt0111161", "plot": "short"}
    assert cache_key("tt0111161", params) == cache_key(
        "tt0111161", params | {"apikey": "zzz-secret"}
    )
    ResponseCache(store, timedelta(days=1)).put(
        "tt0111161",
        params | {"apikey": "zzz-secret"},
        kind="found",
        body={},
        http_status=200,
        now=NOW,
    )
    assert not any(b"zzz-secret" in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_zero_ttl_disables_reads(tmp_path: Path) -> None:
    cache = ResponseCache(LocalObjectStore(tmp_path, "bronze"), timedelta(0))
    params = {"i": "tt0111161"}
    cache.put("tt0111161", params, kind="found", body={}, http_status=200, now=NOW)
    assert cache.get("tt0111161", params, NOW) is None


def test_key_from_file(tmp_path: Path) -> None:
    f = tmp_path / "key"
    f.write_text("  file-key-123\n")
    assert FileKey(f).get() == "file-key-123"
    assert key_provider(Settings(omdb_api_key_file=f)).get() == "file-key-123"


def test_unusable_key_file_is_one_line_without_secret(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="cannot read the OMDb key file"):
        FileKey(tmp_path / "missing").get()
    empty = tmp_path / "empty"
    empty.write_text("")
    with pytest.raises(SecretError, match="is empty"):
        FileKey(empty).get()


def test_env_key_wins_and_offline_uses_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMDB_API_KEY", "env-key-456")
    assert key_provider(Settings()).get() == "env-key-456"
    assert key_provider(Settings(offline=True)).get() == "offline-sample"
    assert "env-key-456" not in repr(Settings()) and "env-key-456" not in str(
        Settings().model_dump()
    )


def test_redaction_masks_registered_secrets_and_apikey_params() -> None:
    StaticKey("registered-secret-789")
    register_secret("another-secret-000")
    text = "GET https://www.omdbapi.com/?i=tt1&apikey=whatever-key&plot=short registered-secret-789 another-secret-000"
    masked = redact(text)
    assert "whatever-key" not in masked and "registered-secret-789" not in masked
    assert "another-secret-000" not in masked and "apikey=***" in masked


def test_logging_filter_masks_messages_args_and_extras() -> None:
    register_secret("log-secret-321")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "key %s", ("log-secret-321",), None)
    record.url = "https://h/?apikey=log-secret-321"
    RedactingFilter().filter(record)
    assert "log-secret-321" not in record.getMessage() and "log-secret-321" not in record.url
    assert json.dumps(record.__dict__, default=str).count("log-secret-321") == 0
