from pathlib import Path

import pytest

from cinelake.adapters.storage import LocalObjectStore, ObjectNotFound, UnsafeKey, local_copies


def test_put_get_list_and_notify(tmp_path: Path) -> None:
    events: list[tuple[str, str, int]] = []
    store = LocalObjectStore(tmp_path / "b", "bronze", lambda b, k, n: events.append((b, k, n)))
    store.put("omdb/snapshot_date=2026-01-01/a.jsonl", b"abc")
    store.put("omdb/snapshot_date=2026-01-02/b.jsonl", b"de")
    store.put("other/c", b"")
    assert store.get("omdb/snapshot_date=2026-01-01/a.jsonl") == b"abc"
    assert [o.key for o in store.list("omdb/")] == [
        "omdb/snapshot_date=2026-01-01/a.jsonl",
        "omdb/snapshot_date=2026-01-02/b.jsonl",
    ]
    assert [o.key for o in store.list("omdb/snapshot_date=2026-01-0")] == [
        "omdb/snapshot_date=2026-01-01/a.jsonl",
        "omdb/snapshot_date=2026-01-02/b.jsonl",
    ]
    assert events[0] == ("bronze", "omdb/snapshot_date=2026-01-01/a.jsonl", 3)
    assert not list((tmp_path / "b").rglob(".tmp-*"))
    with pytest.raises(ObjectNotFound):
        store.get("nope")


@pytest.mark.parametrize("key", ["../x", "a/../../x", "/etc/passwd", "a//b", "a\\b", "", "a/./b"])
def test_unsafe_keys_never_touch_the_disk(tmp_path: Path, key: str) -> None:
    store = LocalObjectStore(tmp_path / "b", "bronze")
    with pytest.raises(UnsafeKey):
        store.put(key, b"x")
    assert not (tmp_path / "x").exists()


def test_local_copies_are_the_files_themselves(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "b", "bronze")
    store.put("p/a.json", b"1")
    with local_copies(store, ["p/a.json"]) as paths:
        assert paths == [tmp_path / "b" / "p" / "a.json"]


def test_list_folders_is_one_level(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "b", "bronze")
    for key in [
        "_runs/r1/manifest.json",
        "_runs/r1/outcomes/tt0000001.json",
        "_runs/r2/manifest.json",
        "_runs/file.json",
    ]:
        store.put(key, b"{}")
    assert store.list_folders("_runs/") == ["r1", "r2"]
    assert store.list_folders("nothing/") == []


def test_s3_store_lists_folders_with_a_delimiter() -> None:
    import boto3
    from moto import mock_aws

    from cinelake.adapters.storage import S3ObjectStore

    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="bronze")
        store = S3ObjectStore(client, "bronze")
        for key in [
            "_runs/r1/manifest.json",
            "_runs/r1/outcomes/tt0000001.json",
            "_runs/r2/manifest.json",
        ]:
            store.put(key, b"{}")
        assert store.list_folders("_runs/") == ["r1", "r2"]
        assert store.list_keys("_runs/r1/") == [
            "_runs/r1/manifest.json",
            "_runs/r1/outcomes/tt0000001.json",
        ]
        assert store.exists("_runs/r2/manifest.json") and not store.exists("_runs/r3/manifest.json")
        assert store.get("_runs/r2/manifest.json") == b"{}"
