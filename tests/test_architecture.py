"""The dependency direction: digitpad.core never imports Qt, pyqtgraph or the GUI."""

from __future__ import annotations

import ast

from .conftest import ROOT

FORBIDDEN = ("PySide6", "pyqtgraph", "digitpad.gui", "torch")


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_core_imports_no_qt():
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / "digitpad" / "core").rglob("*.py"))
        for module in imported_modules(path)
        if module.startswith(FORBIDDEN)
    ]
    assert offenders == []


def test_the_check_sees_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from PySide6.QtGui import QImage\nimport numpy\n")
    assert list(imported_modules(sample)) == ["PySide6.QtGui", "numpy"]
