"""Input helpers shared by commands."""

from __future__ import annotations

import sys
from pathlib import Path

from slant.models.errors import SlantError


def read_input(path: str) -> str:
    """A file's text, or stdin's for '-'; undecodable bytes are a one-line error, not a traceback."""
    if path == "-":
        raw, name = sys.stdin.buffer.read(), "<stdin>"
    else:
        file = Path(path)
        if not file.exists():
            raise SlantError("E004", path=path)
        if file.is_dir():
            raise SlantError("E001", path=path, reason="is a folder, expected a text file")
        try:
            raw, name = file.read_bytes(), path
        except OSError as error:
            raise SlantError("E001", path=path, reason=error.strerror) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SlantError("E002", path=name, position=error.start) from None
