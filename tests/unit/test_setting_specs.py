"""Each setting's default, description and bounds have one home, `cinelake.setting_specs`:
`Settings` validates with them and the CLI's help shows them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cinelake.cli.options import setting_help, shown_default
from cinelake.config import Settings
from cinelake.setting_specs import SETTINGS


def test_settings_and_the_specs_name_the_same_settings() -> None:
    assert list(Settings.model_fields) == list(SETTINGS)


@pytest.mark.parametrize("name", list(SETTINGS))
def test_each_field_is_built_from_its_spec(name: str) -> None:
    spec, field = SETTINGS[name], Settings.model_fields[name]
    assert field.description == spec.description
    if spec.default_factory is not None:
        assert field.default_factory is spec.default_factory
    else:
        assert field.default == spec.default
    bounds = {k: getattr(m, k) for m in field.metadata for k in ("ge", "gt", "le") if hasattr(m, k)}
    assert bounds == {
        k: getattr(spec, k) for k in ("ge", "gt", "le") if getattr(spec, k) is not None
    }


def test_a_spec_bound_is_what_settings_enforce() -> None:
    assert SETTINGS["concurrency"].le == 256
    assert Settings(concurrency=256).concurrency == 256
    with pytest.raises(ValidationError):
        Settings(concurrency=257)
    with pytest.raises(ValidationError):
        Settings(timeout_s=SETTINGS["timeout_s"].gt)


def test_help_shows_the_spec_default_and_description() -> None:
    assert Settings().top_n == SETTINGS["top_n"].default == 10
    assert setting_help("top_n") == "How many movies from the top of the list \\[default: 10]."
    assert shown_default("data_dir") == "./lake"
    assert shown_default("rate_limit") == "10"
    assert shown_default("offline") is None
