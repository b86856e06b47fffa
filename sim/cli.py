"""`leniency` command line: a thin face over the package's functions. Bad input exits 2 with one clear
message."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn

from sim import __version__
from sim.model.errors import ScenarioError

# Each entry is a module in sim.commands exposing register(subparsers).
COMMANDS: tuple[str, ...] = (
    "run",
    "viz",
    "calibrate",
    "sweep",
    "report",
    "bench",
    "optimize",
    "discover",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # exit 2 with one line, as for every other bad input
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="leniency",
        description="Simulate plea bargaining under China's leniency system and its procedural relief.",
    )
    parser.add_argument("--version", action="version", version=f"leniency-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"sim.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from sim.engine.signals import Terminated, sigterm_unwinds

    args = build_parser().parse_args(argv)
    try:
        with sigterm_unwinds():
            return int(args.func(args) or 0)
    except ScenarioError as exc:
        print(f"leniency {args.command}: {exc}", file=sys.stderr)
        return 2
    except Terminated:
        print(f"leniency {args.command}: terminated (SIGTERM)", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"leniency {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
