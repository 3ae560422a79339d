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
        prog="slant", description="Detect propaganda and framing techniques in news text.",
        epilog="`slant COMMAND --help` explains each command and its options.",
    )
    parser.add_argument("--version", action="version", version=f"slant {_version()}",
                        help="print Slant's version and exit")
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
    # No "Loading weights" bar on every command. Through the environment when transformers is not
    # loaded yet: importing it takes a second, which commands that never load a model should not pay.
    if "transformers" in sys.modules:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    else:
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return status
    except SlantError as error:
        print(f"slant {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        hint = getattr(args, "on_interrupt", None)
        print(f"slant {args.command}: interrupted" + (f"; {hint(args)}" if hint else ""), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `slant labels | head -1`: the reader has all it wants. Say nothing, and keep Python
        # from complaining about the closed pipe again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a process killed by SIGPIPE, which is what shells expect of `cmd | head`


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("slant")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
