"""Architecture rules: the core never imports Qt, and the CLI path never loads it either."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import inspector.core

pytestmark = pytest.mark.smoke  # fresh interpreters: what a module imports is only seen in a new process
ROOT = Path(__file__).resolve().parents[2]


def _core_modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(inspector.core.__path__, "inspector.core.")]


def test_core_imports_no_qt() -> None:
    modules = _core_modules()
    assert "inspector.core.transport" in modules
    code = (
        "import sys, importlib\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_path_imports_no_qt() -> None:
    code = (
        "import sys\n"
        "from inspector.app import main\n"
        "code = main(['send', 'http://127.0.0.1:9/', '--json'])\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(bad); sys.exit(3 if bad else code)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
