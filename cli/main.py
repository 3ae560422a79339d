"""The `slant` command: one parser, one module per sub-command, one-line errors."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from slant.models.errors import SlantError

COMMAND_SUFFIX = "_cmd"  # each `cli/<name>_cmd.py` module registers one sub-command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slant", description="Detect propaganda and framing techniques in news text."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    import pkgutil
    from importlib import import_module

    import slant.cli

    for module in sorted(m.name for m in pkgutil.iter_modules(slant.cli.__path__)):
        if module.endswith(COMMAND_SUFFIX):
            import_module(f"slant.cli.{module}").register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # no "Loading weights" bar on every command
    try:
        return int(args.func(args) or 0)
    except SlantError as error:
        print(f"slant {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"slant {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
