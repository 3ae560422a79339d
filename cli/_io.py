"""Input helpers and argument types shared by commands, so one option means one thing and is
checked one way everywhere."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from slant.models.errors import SlantError

UTF8_MAX_BYTES = 4  # bytes one character can take in UTF-8


def read_input(path: str, max_chars: int | None = None) -> str:
    """A file's text, or stdin's for '-'; undecodable bytes are a one-line error, not a traceback.

    With `max_chars`, input that cannot fit is refused after reading at most 4 bytes per allowed
    character (E054), so a 30 MB file answers at once instead of being read and split whole."""
    limit = None if max_chars is None else UTF8_MAX_BYTES * max_chars
    if path == "-":
        raw, name = sys.stdin.buffer.read(-1 if limit is None else limit + 1), "<stdin>"
    else:
        file = Path(path)
        if not file.exists():
            raise SlantError("E004", path=path)
        if file.is_dir():
            raise SlantError("E001", path=path, reason="is a folder, expected a text file")
        try:
            with open(file, "rb") as stream:
                raw, name = stream.read(-1 if limit is None else limit + 1), path
        except OSError as error:
            raise SlantError("E001", path=path, reason=error.strerror) from None
    if limit is not None and len(raw) > limit:
        size = f"over {limit:,}" if path == "-" else f"{Path(path).stat().st_size:,}"
        raise SlantError("E054", path=name, size=size, limit=max_chars)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SlantError("E002", path=name, position=error.start) from None


# -- argument types: a bad value is argparse's one-line usage error (exit 2) ------------------
def probability(value: str) -> float:
    """A float in [0, 1]."""
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not 0.0 <= number <= 1.0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {value!r}")
    return number


def positive(value: str) -> int:
    number = integer(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {value!r}")
    return number


def non_negative(value: str) -> int:
    number = integer(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 0, got {value!r}")
    return number


def integer(value: str) -> int:
    try:
        return int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {value!r}") from None


def add_max_chars(parser, default: int, what: str):
    parser.add_argument("--max-chars", type=positive, default=default, metavar="N",
                        help=f"longest text accepted, in characters (default {default:,}); {what}")


def add_quiet(parser, what: str = "no progress output"):
    parser.add_argument("-q", "--quiet", action="store_true", help=what)


def add_no_track(parser):
    parser.add_argument("--no-track", action="store_true", help="do not log this run to MLflow")


def add_backend(parser):
    # The names are spelled out here rather than imported: importing slant.models.backends would
    # load the model code before the command's arguments and input are checked.
    parser.add_argument("--backend", choices=("auto", "torch", "onnx", "onnx-int8"), default="auto",
                        help="auto (default): the fastest allowed for the model, i.e. onnx-int8 when its int8 "
                             "validation (int8-validation.json in the model folder) holds for these weights, "
                             "else onnx, else torch; torch; onnx (ONNX Runtime fp32, same scores as torch); "
                             "onnx-int8 (only once validated)")
