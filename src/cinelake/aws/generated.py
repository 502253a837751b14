"""A generated block of template.yaml: the markers around it and the `--write | --check` command
that keeps it equal to what the gold definitions say (the Glue tables and QuickSight use it)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cinelake.aws.cfn import TEMPLATE_PATH, parse_template


@dataclass(frozen=True)
class GeneratedBlock:
    module: str  # the `python -m` module that writes it
    what: str  # what it holds, for messages ("Glue tables")
    begin: str
    end: str
    render: Callable[[], str]  # the block, markers included
    resources: Callable[[], dict[str, Any]]  # the resources it should declare
    declared: Callable[[dict[str, Any]], dict[str, Any]]  # those a parsed template declares

    def replace(self, template_text: str, block: str) -> str:
        start = template_text.find(self.begin)
        end = template_text.find(self.end)
        if start < 0 or end < start:
            raise SystemExit(
                f"template.yaml has no generated block ({self.begin.strip()} ... "
                f"{self.end.strip()})"
            )
        return template_text[:start] + block + template_text[end + len(self.end) :]

    def main(self, argv: Sequence[str] | None, description: str) -> int:
        parser = argparse.ArgumentParser(prog=f"python -m {self.module}", description=description)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--write", action="store_true", help="update the block in template.yaml")
        mode.add_argument(
            "--check", action="store_true", help="fail if template.yaml is out of date"
        )
        parser.add_argument("--template", type=Path, default=TEMPLATE_PATH)
        args = parser.parse_args(argv)

        block = self.render()
        if not args.write and not args.check:
            sys.stdout.write(block + "\n")
            return 0
        text = args.template.read_text(encoding="utf-8")
        updated = self.replace(text, block)
        if args.check:
            if self.declared(parse_template(text)) != self.resources() or updated != text:
                print(
                    f"{args.template}: {self.what} are out of date; run "
                    f"python -m {self.module} --write",
                    file=sys.stderr,
                )
                return 1
            return 0
        if updated != text:
            args.template.write_text(updated, encoding="utf-8")
            print(f"{args.template}: {len(self.resources())} {self.what} written")
        return 0
