"""One catalogue of user-facing error messages, spaCy style.

Every message names what was wrong, where, and how to fix it, and fits on one line, so the
command layer can print `str(error)` and exit without a traceback. `Wxxx` entries are warnings:
the work goes on, and the same line is printed (`slant check`) or returned (`"warning"` in JSON).
"""

from __future__ import annotations

MESSAGES = {
    "E001": "cannot read {path}: {reason}",
    "E002": "{path} is not valid UTF-8 text (byte {position}); re-encode it as UTF-8",
    "E003": "{path}:{line}: {problem}",  # a malformed line of a training data file (PTC, JSONL/CSV, TSV)
    "E004": "no such file or folder: {path}",
    "E005": "{path}:{line}: bad gold record: {problem}",  # a hand-labelled gold set (builtin or real-news)
    "E010": "unknown label {label!r}{where}; known labels: {known}",
    "E011": "bad label registry {path}: {problem}",
    "E020": "bad config {path}: {problem}",
    "E021": "bad config value {key}={value!r}: {problem}",  # a key of a YAML config or its key=value overrides
    "E022": "unknown config key {key!r}; valid keys: {valid}",
    "E023": "bad argument {name}={value!r}: {problem}",  # a command-line option or a Python API argument
    "E024": "cannot split {data} by document: {problem}",
    "E030": "cannot load model {model!r}: {reason}",
    "E032": "no MLflow store at {uri}, so {model!r} cannot be found; set MLFLOW_TRACKING_URI to the store that holds it",
    "E031": "model {model!r} has labels {found}, which do not match this Slant's {expected}",
    "E034": "model {model!r} has no span head (a `spans` folder beside its config.json); train one with model.spans=true",
    "E035": "the span head in {model!r} was trained with another encoder than its sentence model "
            "(digest {found}, expected {expected}); retrain or copy the matching spans folder",
    "E040": "evaluation data has no sentences: {path}",
    "E050": "text is empty or only whitespace; give some text to check",
    "E051": "text has {size} characters, over the limit of {limit}",
    "E052": "text is in {language} ({code}), not English: Slant's model reads English only; --any-language (any_language=True) scores it anyway",
    "E053": "text holds an unpaired surrogate (U+{codepoint:04X}) at character {position}; send valid Unicode text",
    "E054": "{path} has {size} bytes, more than {limit:,} characters (--max-chars) can take; raise --max-chars or split the text",
    "E055": "{source}: expected text, got {kind}; give a string",  # the API or a stream was given a non-str
    "W052": "text is in {language} ({code}), not English: Slant's model reads English only, so nothing is labelled; --any-language (API: \"any_language\": true) labels it anyway",
    # slant score (E100-E199)
    "E100": "cannot tell the format of {path} from its name; pass --input-format jsonl, csv, parquet or txt",
    "E101": "{path} has no column {field!r} (set by {option}); its columns are: {columns}",
    "E102": "{path} holds no .txt or .txt.gz files",
    "E103": "{difference}; {path} holds that earlier run: use another --out folder, or --overwrite to discard it",
    "E104": "{path} is not empty and holds no Slant scores; use an empty or new --out folder",
    "E105": "{feature} needs {package}: pip install 'slant[{extra}]'",
    "E106": "no validated int8 model for {model}: {problem}; use --backend onnx, or validate it with `python benchmarks/score_speed.py --write-validation --model {model}`",
    "E107": "cannot export {model} to ONNX: {reason}",
    "E108": "cannot write {path}: {reason}",
    "E109": "--out {path} is a file; name a folder (it is created if missing)",
    "E110": "{path} is in use by another `slant score` run{holder}; wait for it to end, or use another --out folder",
    "E111": "{path} holds files that are not Slant's ({first}); --overwrite replaces only a Slant run: move them, or use another --out folder",
    "E112": "no record of {path} could be scored: {detail}",
    "E150": "the input field {field!r} has the name of a documents-table column; leave it out with --keep-fields (list the fields to keep) or rename it",
    # E200-E299: the editor tools (slant check, slant serve)
    "E200": "request body has {size} bytes, over the limit of {limit}",
    "E201": "cannot listen on {host}:{port}: {reason}; pick another --port or --host",
    "E202": "the model is busy: {waiting} drafts are waiting for it, the most this server queues; try again in {retry} s",
    # E300-E399: annotations, retraining and the model registry
    "E300": "{count} problem(s) in annotation files, first: {first}; list all with `slant annotations validate {paths}`",
    "E301": "registered model {name!r} has no @{alias} version; retrain with retrain.init=base or run `slant models promote VERSION`",
    "E302": "registered model {name!r} has no version {version}",
    "E303": "cannot roll back {name!r}: {reason}",
    "E304": "no registered model {name!r} in the MLflow registry at {uri}",
    "E307": "no MLflow store at {uri}; nothing is registered there (set MLFLOW_TRACKING_URI to the store to use)",
    "E305": "run {run_id} has no artifact {artifact}; {hint}",
    "E306": "{count} annotated sentence(s) are also in the evaluation set, first: {first!r}; remove them or evaluate on other data",
    # E400-E499: slant report
    "E400": "{path} has no field {field!r} (set by {option}); it has: {available}; score the corpus again with --keep-fields to carry a field",
    "E401": "{path} holds no scored documents yet; run `slant score` into it first",
    "E402": "bad error rates {path}: {problem}",
    "E403": "bad report option {option}={value!r}: {problem}",
}


def message(code: str, /, **fields) -> str:
    """The catalogue's line for `code`, with its `[code]` prefix."""
    if "where" in fields and fields["where"]:
        fields["where"] = f" in {fields['where']}"
    elif "where" in MESSAGES[code]:
        fields["where"] = ""
    return f"[{code}] " + MESSAGES[code].format(**fields)


class SlantError(ValueError):
    """An expected failure with a numbered, one-line message."""

    def __init__(self, code: str, /, **fields):
        self.code = code
        self.fields = dict(fields)
        super().__init__(message(code, **fields))
