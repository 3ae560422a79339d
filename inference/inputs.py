"""What every entry point checks of a text before any model work, with the same one-line errors
in `slant check`, `slant serve`, `slant score` and the Python API. Kept free of torch, so a
command can refuse bad input before it loads a model."""

from __future__ import annotations

from slant.models.errors import SlantError


def check_text(text, max_chars: int | None = None, where: str = "input"):
    """Not text (E055), over `max_chars` (E051), unpaired surrogates (E053), empty (E050)."""
    if not isinstance(text, str):
        raise SlantError("E055", source=where, kind=type(text).__name__)
    if max_chars is not None and len(text) > max_chars:  # first: the cheap bound on all other work
        raise SlantError("E051", size=len(text), limit=max_chars)
    surrogate = first_surrogate(text)
    if surrogate is not None:
        raise SlantError("E053", codepoint=ord(text[surrogate]), position=surrogate)
    if not text.strip():
        raise SlantError("E050")


def first_surrogate(text: str) -> int | None:
    """Index of the first unpaired surrogate (a JSON "\\ud800" escape; not encodable as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return error.start
    return None
