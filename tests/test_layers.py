"""The packages' layering: the filter and delivery sides meet only in neutral modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import powertrack

PACKAGE = Path(powertrack.__file__).parent

# package -> packages it must never import (directly or lazily, inside functions)
FORBIDDEN = {
    "delivery": ("powertrack.api", "powertrack.filter", "powertrack.cli"),
    "filter": ("powertrack.api", "powertrack.delivery", "powertrack.cli"),
    "web": ("powertrack.api", "powertrack.delivery", "powertrack.filter", "powertrack.cli"),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_does_not_import_the_layers_it_must_not_know(package: str) -> None:
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files
    wrong = [
        f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        for path in files
        for line, module in _imports(path)
        if any(module == banned or module.startswith(banned + ".") for banned in FORBIDDEN[package])
    ]
    assert wrong == []


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from powertrack.api.deps import ApiState\n")
    assert _imports(module) == [(2, "powertrack.api.deps")]
