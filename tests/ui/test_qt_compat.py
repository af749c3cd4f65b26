"""qt_compat.skip_source_scan: PySide's feature support no longer reads the source of the application's own
modules as they are imported; every other module still goes through PySide's own check."""

from __future__ import annotations

import linecache
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def feature():
    import inspector.ui  # noqa: F401  (installs the hook)

    module = sys.modules.get("shibokensupport.feature")
    if module is None or not hasattr(module, "pyside_feature_dict"):
        pytest.skip("this PySide6 has no feature support to spare")
    return module


def _module(name: str, path: Path) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = str(path)
    return module


def test_our_modules_are_recorded_without_reading_them(feature, tmp_path: Path) -> None:
    source = tmp_path / "ours.py"
    source.write_text("from PySide6.QtCore import QObject\n", encoding="utf-8")
    name = "inspector.zz_not_a_real_module"
    feature.pyside_feature_dict.pop(name, None)
    feature.feature_imported(_module(name, source))
    assert feature.pyside_feature_dict.pop(name) == 0  # uses PySide, no feature selected
    assert str(source) not in linecache.cache  # and its text was never read


@pytest.mark.parametrize(("text", "expected"), [("import PySide6\n", 0), ("import json\n", -1)])
def test_other_modules_still_get_pysides_own_check(feature, tmp_path: Path, text: str, expected: int) -> None:
    source = tmp_path / f"foreign_{expected + 1}.py"
    source.write_text(text, encoding="utf-8")
    name = f"zz_foreign_module_{expected + 1}"
    feature.pyside_feature_dict.pop(name, None)
    feature.feature_imported(_module(name, source))
    assert feature.pyside_feature_dict.pop(name) == expected


def test_the_window_reads_no_source_of_ours_while_it_is_built(tmp_path: Path) -> None:
    code = f"""
import linecache, sys
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
app = QApplication([])
from inspector.ui.main_window import MainWindow
window = MainWindow(QSettings({str(tmp_path / "s.ini")!r}, QSettings.Format.IniFormat))
window.current_tab().ensure_panels()
read = [path for path in linecache.cache if "/inspector/" in path and not path.endswith("qt_compat.py")]
print(len(read), read[:3])
window.shutdown()
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=50,
                          check=False, env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("0 "), done.stdout


def test_standard_and_dependency_modules_are_recorded_as_pyside_would_without_reading_them(
        feature, tmp_path: Path) -> None:
    for name in ("json.zz_not_real", "requests.zz_not_real"):
        source = tmp_path / f"{name}.py"
        source.write_text("import json\n", encoding="utf-8")
        feature.pyside_feature_dict.pop(name, None)
        feature.feature_imported(_module(name, source))
        assert feature.pyside_feature_dict.pop(name) == -1  # what PySide's check gives a module without PySide6
        assert str(source) not in linecache.cache


def test_no_known_foreign_package_mentions_pyside6() -> None:
    """The premise of KNOWN_FOREIGN: PySide's own check would record -1 for every module of these packages."""
    import importlib.util

    from inspector.ui.qt_compat import KNOWN_FOREIGN

    checked = 0
    for name in sorted(KNOWN_FOREIGN):
        spec = importlib.util.find_spec(name)
        if spec is None:
            continue  # not installed here
        if spec.submodule_search_locations:  # a package, or a namespace package (jaraco) with no origin
            files = [f for root in spec.submodule_search_locations for f in Path(root).rglob("*.py")]
        elif spec.origin and spec.origin.endswith(".py"):
            files = [Path(spec.origin)]
        else:
            continue  # an extension module: PySide's check cannot read it either
        for path in files:
            assert "PySide6" not in path.read_text(encoding="utf-8", errors="replace"), path
            checked += 1
    assert checked > 100  # requests, pygments, keyring... are installed: their files were read


def test_the_refcount_defect_is_seen_only_when_calls_take_references(qapp) -> None:
    """The guard against a PySide build that takes a reference from None at each call is applied only when
    most calls took one: a few references let go meanwhile by something else (a collector pass on a first
    start) once made it apply for nothing, and import ctypes before the first paint."""
    from inspector.ui import qt_compat

    class Fine:
        def setObjectName(self, _name: str) -> None:
            pass

    class Leaky:  # what the defect does: each call gives back one reference of None too few
        kept: list[object] = [None] * 4 * qt_compat.PROBE_CALLS

        def setObjectName(self, _name: str) -> None:
            self.kept.pop()

    class Noisy(Fine):  # a few references go meanwhile: not the defect
        kept: list[object] = [None] * 3

        def setObjectName(self, _name: str) -> None:
            if self.kept:
                self.kept.pop()

    assert not qt_compat._takes_references(Fine())
    assert qt_compat._takes_references(Leaky())
    assert not qt_compat._takes_references(Noisy())
