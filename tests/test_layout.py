"""Dependencies point one way: cli -> training, inference -> models; inference never imports training."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
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


GENERIC = ("models", "training", "inference", "cli")
PROBE = """
import importlib.util, json, sys
sys.path[:0] = sys.argv[1:]
found = {}
for name in sys.stdin.read().split():
    spec = importlib.util.find_spec(name)
    found[name] = None if spec is None else (spec.origin or list(spec.submodule_search_locations or ["?"])[0])
print(json.dumps(found))
"""


def probe(cwd: Path, *extra_path: Path) -> dict:
    """Where a fresh interpreter finds each package: run isolated (`-I`: neither the working
    folder nor PYTHONPATH on sys.path) from `cwd`, so only what is installed is found, unless
    `extra_path` adds folders. From the repo root a plain `find_spec` would find the repo's own
    `models/` folder first and could never see a top-level `models` that the install put in place."""
    result = subprocess.run([sys.executable, "-I", "-c", PROBE, *map(str, extra_path)], cwd=cwd,
                            input=" ".join(GENERIC + ("slant.models",)), capture_output=True, text=True,
                            check=True, timeout=120)
    return json.loads(result.stdout)


def test_no_generic_top_level_packages_are_installed(tmp_path):
    import importlib.metadata

    found = probe(tmp_path)
    assert found["slant.models"] is not None  # the probe sees the installation
    offenders = {name: where for name, where in found.items()
                 if name in GENERIC and where is not None and (str(ROOT) in where or "site-packages" in where)}
    assert not offenders, offenders
    top_level = importlib.metadata.distribution("slant").read_text("top_level.txt")
    assert top_level is None or top_level.split() == ["slant"], top_level
    # The probe can fail: with the repo root on sys.path, `models` is the repo's folder.
    assert probe(tmp_path, ROOT)["models"] is not None
