"""Dependencies point one way: cli -> training, inference -> models; inference never imports training."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "models": ("slant.training", "slant.inference", "slant.cli"),
    "inference": ("slant.training", "slant.cli"),
    "training": ("slant.cli",),
}


def imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package):
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for module in imported_modules(path)
        if module.startswith(FORBIDDEN[package])
    ]
    assert not offenders, offenders


def test_no_generic_top_level_packages_are_installed():
    import importlib.util

    assert importlib.util.find_spec("slant.models") is not None
    for generic in ("models", "training", "inference", "cli"):
        spec = importlib.util.find_spec(generic)
        assert spec is None or "site-packages" not in str(spec.origin or ""), generic
