"""Accounts sit below expeditions, and two-factor login plugs in from create_app: no imports upward."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "alex"


def _imported_modules(package: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("auth", ("alex.expeditions", "alex.twofactor", "alex.boards", "alex.meetings")),
        ("auth", ("alex.progress", "alex.exports")),
        ("expeditions", ("alex.twofactor",)),
    ],
)
def test_lower_layers_do_not_import_higher_ones(package, forbidden):
    imports = _imported_modules(package)
    wrong = sorted(m for m in imports if m.startswith(forbidden))
    assert not wrong, f"alex.{package} imports {wrong}"
