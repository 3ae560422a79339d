"""The error catalogue is checked: one code per situation, each code unique, defined and used.

The sources are parsed (not imported), so a `SlantError("E999", ...)` typo or a catalogue entry
that nothing raises any more fails here rather than at the user's terminal.
"""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path

import pytest

from slant.models.errors import MESSAGES, SlantError, message

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("models", "training", "inference", "cli", "benchmarks")  # and notebooks/*.ipynb
CATALOGUE = ROOT / "models" / "errors.py"
# Codes that no `SlantError("...")` literal names, each with where it comes from instead.
RAISED_INDIRECTLY: dict[str, str] = {}


def sources():
    """(where, Python source) of each module in the packages and each code cell of the notebooks."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for number, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
            if cell["cell_type"] == "code":
                yield f"{path.relative_to(ROOT)} cell {number}", "".join(cell["source"])


def call_sites():
    """(code, keyword names or None when **fields is passed, where) of each SlantError/message call."""
    for origin, source in sources():
        try:
            tree = ast.parse(source)
        except SyntaxError:  # a notebook cell with IPython magics
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            first = node.args[0]
            if name in ("SlantError", "message") and isinstance(first, ast.Constant) \
                    and isinstance(first.value, str):
                keywords = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
                yield first.value, keywords, f"{origin}:{node.lineno}"


SITES = list(call_sites())


def fields_of(template: str) -> set[str]:
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(template) if field}


def test_catalogue_keys_are_unique():
    """A repeated key in the dict literal would silently replace the first message."""
    tree = ast.parse(CATALOGUE.read_text(encoding="utf-8"))
    keys = [
        key.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "MESSAGES" for t in node.targets)
        for key in node.value.keys
    ]
    assert keys and len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    assert set(keys) == set(MESSAGES)


def test_codes_are_well_formed_and_messages_one_line():
    for code, template in MESSAGES.items():
        assert len(code) == 4 and code[0] in "EW" and code[1:].isdigit(), code
        assert "\n" not in template and template == template.strip(), code


def test_every_code_raised_exists():
    unknown = [f"{where}: {code}" for code, _, where in SITES if code not in MESSAGES]
    assert not unknown, unknown


def test_every_code_in_the_catalogue_is_used():
    used = {code for code, _, _ in SITES} | set(RAISED_INDIRECTLY)
    assert not set(MESSAGES) - used, f"unused codes: {sorted(set(MESSAGES) - used)}"


def test_each_raise_gives_exactly_the_fields_of_its_message():
    wrong = []
    for code, keywords, where in SITES:
        if code not in MESSAGES or keywords is None:
            continue
        needed = fields_of(MESSAGES[code]) - {"where"}  # `where` is optional (see `message`)
        if not needed <= keywords <= needed | {"where"}:
            wrong.append(f"{where}: {code} given {sorted(keywords)}, needs {sorted(needed)}")
    assert not wrong, wrong


def test_a_code_is_used_for_one_situation():
    """Codes that were once shared by unrelated cases now each have their own."""
    assert message("E055", source="document 2", kind="int") == "[E055] document 2: expected text, got int; give a string"
    assert "config" in MESSAGES["E021"] and "config" not in MESSAGES["E023"]
    assert MESSAGES["E003"] != MESSAGES["E005"]


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_message_formats(code):
    fields = {name: 1 for name in fields_of(MESSAGES[code])}
    error = SlantError(code, **fields)
    assert str(error).startswith(f"[{code}] ") and "\n" not in str(error)
    assert error.code == code
