"""`cinelake quality`: explain a snapshot's data-quality checks (as gold holds them)."""

from __future__ import annotations

from datetime import date

from cinelake.cli.context import EXIT_USAGE, fail
from cinelake.cli.options import DataDir, OptBackend, OptJson, OptQualityDate, OptStack
from cinelake.cli.preflight import lake_errors, settings_or_fail, stack_or_fail, stack_view_or_fail
from cinelake.cli.render import print_json, print_quality


def _day_or_fail(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--date {text!r} is not a date: give YYYY-MM-DD", EXIT_USAGE)


@lake_errors
def quality(
    day: OptQualityDate = None,
    as_json: OptJson = False,
    data_dir: DataDir = None,
    backend: OptBackend = None,
    stack: OptStack = None,
) -> None:
    """Explain a snapshot's data-quality verdict: its counts and every check (read-only)."""
    from cinelake.objects import ObjectStore
    from cinelake.ops.quality import verdict

    wanted = _day_or_fail(day)
    settings = settings_or_fail(data_dir=data_dir, backend=backend)
    stack_name = stack_or_fail(settings, stack)
    if stack_name is not None:
        with stack_view_or_fail(stack_name) as view:
            found = verdict(view.gold, wanted)
    else:
        from cinelake.adapters.storage import LocalObjectStore
        from cinelake.layout import LocalLake

        if not settings.data_dir.is_dir():
            fail(f"no lake at {settings.data_dir} (run `cinelake run` first, or pass --data-dir)")
        gold: ObjectStore = LocalObjectStore(LocalLake(settings.data_dir).gold, "gold")
        found = verdict(gold, wanted)
    if found is None:
        what = f"the snapshot of {wanted}" if wanted else "any snapshot"
        fail(
            f"gold has no data-quality verdict for {what} (a day built before the checks "
            "existed gets one from `cinelake rebuild`)"
        )
    if as_json:
        print_json(found.as_dict())
    else:
        print_quality(found)
