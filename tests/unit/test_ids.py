import re
from pathlib import PurePosixPath, PureWindowsPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cinelake.ids import InvalidImdbId, is_imdb_id, require_imdb_id, require_run_id


@pytest.mark.parametrize("good", ["tt0111161", "tt1234567", "tt12345678", "tt123456789"])
def test_accepts_imdb_ids(good: str) -> None:
    assert require_imdb_id(good) == good


@pytest.mark.parametrize(
    "bad",
    [
        "../../x",
        "tt012345",
        "tt1234567890",
        "TT0111161",
        "tt0111161/",
        "tt01111a1",
        "",
        None,
        111161,
        "tt0111161\n",
        "nm0000151",
        "tt\u0660\u0660\u0666\u0668\u0666\u0664\u0666",
    ],
)
def test_rejects_everything_else(bad: object) -> None:
    assert not is_imdb_id(bad)
    with pytest.raises(InvalidImdbId):
        require_imdb_id(bad)


# Generated from the id grammar itself, so every example is an id the checker must accept.
VALID_IDS = st.from_regex(r"tt[0-9]{7,9}", fullmatch=True)
# Dangerous characters spliced into otherwise valid ids.
PATHISH = st.sampled_from(["/", "\\", ".", "..", "../", "\n", "\x00", ":", " ", "%2F", "\u0660"])


def test_accepted_ids_can_never_be_paths() -> None:
    exercised: list[str] = []

    @settings(max_examples=300)
    @given(VALID_IDS)
    def check(text: str) -> None:
        assert require_imdb_id(text) == text
        # Usable as one key segment as it stands: no separator, no dot, no escape.
        assert PurePosixPath(text).name == text and PureWindowsPath(text).name == text
        assert set(text) <= set("t0123456789")
        exercised.append(text)

    check()
    assert len(set(exercised)) >= 100, "the strategy must really produce valid ids"


def test_ids_with_anything_spliced_in_are_refused() -> None:
    rejected: list[str] = []

    @settings(max_examples=300)
    @given(VALID_IDS, PATHISH, st.data())
    def check(valid: str, junk: str, data: st.DataObject) -> None:
        at = data.draw(st.integers(min_value=0, max_value=len(valid)))
        spliced = valid[:at] + junk + valid[at:]
        assert not is_imdb_id(spliced)
        with pytest.raises(InvalidImdbId):
            require_imdb_id(spliced)
        rejected.append(spliced)

    check()
    assert len(set(rejected)) >= 100


@given(st.text())
def test_arbitrary_text_is_accepted_only_when_it_follows_the_grammar(text: str) -> None:
    assert is_imdb_id(text) == (re.fullmatch(r"tt[0-9]{7,9}", text, flags=re.ASCII) is not None)


def test_run_ids_are_strict() -> None:
    assert require_run_id("20261129T030000Z-1a2b3c")
    for bad in ["../20261129T030000Z-1a2b3c", "20261129T030000Z-1A2B3C", "x"]:
        with pytest.raises(ValueError):
            require_run_id(bad)
