import pytest
from hypothesis import given
from hypothesis import strategies as st

from cinelake.ids import InvalidImdbId, is_imdb_id, require_imdb_id, require_run_id


@pytest.mark.parametrize("good", ["tt0111161", "tt1234567", "tt12345678", "tt123456789"])
def test_accepts_imdb_ids(good: str) -> None:
    assert require_imdb_id(good) == good


@pytest.mark.parametrize(
    "bad", ["../../x", "tt012345", "tt1234567890", "TT0111161", "tt0111161/", "tt01111a1", "", None, 111161,
            "tt0111161\n", "nm0000151", "tt\u0660\u0660\u0666\u0668\u0666\u0664\u0666"],
)
def test_rejects_everything_else(bad: object) -> None:
    assert not is_imdb_id(bad)
    with pytest.raises(InvalidImdbId):
        require_imdb_id(bad)


@given(st.text())
def test_accepted_ids_can_never_be_paths(text: str) -> None:
    if is_imdb_id(text):
        assert "/" not in text and "." not in text and "\\" not in text and text.startswith("tt")


def test_run_ids_are_strict() -> None:
    assert require_run_id("20261129T030000Z-1a2b3c")
    for bad in ["../20261129T030000Z-1a2b3c", "20261129T030000Z-1A2B3C", "x"]:
        with pytest.raises(ValueError):
            require_run_id(bad)
