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
    # slant score (E100-E199)
    "E100": "cannot tell the format of {path} from its name; pass --input-format jsonl, csv, parquet or txt",
    "E101": "{path} has no column {field!r} (set by {option}); its columns are: {columns}",
    "E102": "{path} holds no .txt or .txt.gz files",
    "E103": "{path} holds a run with other settings ({difference}); use another --out folder or pass --overwrite",
    "E104": "{path} is not empty and holds no Slant scores; use an empty or new --out folder",
    "E105": "{feature} needs {package}: pip install 'slant[{extra}]'",
    "E106": "no validated int8 model for {model}: {problem}; use --backend onnx, or validate it with `python benchmarks/score_speed.py --model {model}`",
    "E107": "cannot export {model} to ONNX: {reason}",
    "E108": "cannot write {path}: {reason}",
    # E200-E299: the editor tools (slant check, slant serve)
    "E200": "request body has {size} bytes, over the limit of {limit}",
    "E201": "cannot listen on {host}:{port}: {reason}; pick another --port or --host",
    # E300-E399: annotations, retraining and the model registry
    "E300": "{count} problem(s) in annotation files, first: {first}; list all with `slant annotations validate {paths}`",
    "E301": "registered model {name!r} has no @{alias} version; retrain with retrain.init=base or run `slant models promote VERSION`",
    "E302": "registered model {name!r} has no version {version}",
    "E303": "cannot roll back {name!r}: {reason}",
    "E304": "no registered model {name!r} in the MLflow registry at {uri}",
    "E305": "run {run_id} has no artifact {artifact}; {hint}",
    "E306": "{count} annotated sentence(s) are also in the evaluation set, first: {first!r}; remove them or evaluate on other data",
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
