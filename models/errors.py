"""One catalogue of user-facing error messages, spaCy style.

Every message names what was wrong, where, and how to fix it, and fits on one line, so the
command layer can print `str(error)` and exit without a traceback.
"""

from __future__ import annotations

MESSAGES = {
    "E001": "cannot read {path}: {reason}",
    "E002": "{path} is not valid UTF-8 text (byte {position}); re-encode it as UTF-8",
    "E003": "{path}:{line}: {problem}",
    "E004": "no such file or folder: {path}",
    "E010": "unknown label {label!r}{where}; known labels: {known}",
    "E011": "bad label registry {path}: {problem}",
    "E020": "bad config {path}: {problem}",
    "E021": "bad config value {key}={value!r}: {problem}",
    "E022": "unknown config key {key!r}; valid keys: {valid}",
    "E030": "cannot load model {model!r}: {reason}",
    "E031": "model {model!r} has labels {found}, which do not match this Slant's {expected}",
    "E040": "evaluation data has no sentences: {path}",
    "E050": "text is empty",
    "E051": "text has {size} characters, over the limit of {limit}",
}


class SlantError(ValueError):
    """An expected failure with a numbered, one-line message."""

    def __init__(self, code: str, **fields):
        self.code = code
        self.fields = fields
        if "where" in fields and fields["where"]:
            fields["where"] = f" in {fields['where']}"
        elif "where" in MESSAGES[code]:
            fields["where"] = ""
        super().__init__(f"[{code}] " + MESSAGES[code].format(**fields))
