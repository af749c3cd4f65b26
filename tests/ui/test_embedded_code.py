"""PySide's embedded Python compiled once (ui/qt_compat.py: EmbeddedCode, import_shiboken): the same code on a
second run without compiling, the importer's own future features kept, every other caller compiled as before.

shiboken6 is imported long before these tests run, so its importer is stood in for by a function whose code
carries the importer's file name (EMBEDDED_IMPORTER), as the real one's does."""

from __future__ import annotations

import builtins
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType

import pytest

from inspector.ui import qt_compat
from inspector.ui.qt_compat import EMBEDDED_IMPORTER, EmbeddedCode
from tests.support.table_files import DAMAGES, damage_table_file

SOURCE = b"def f(a: int) -> str:\n    return str(a * 2)\nVALUE = f(21)\n"


def importer(futures: str = "") -> Callable[[bytes, str], CodeType]:
    """A stand-in for shiboken's importer: compile() called from code of that file name, with `futures`."""
    namespace: dict[str, object] = {}
    text = f"{futures}\ndef load(source, name):\n    return compile(source, name, 'exec')\n"
    exec(qt_compat._COMPILE(text, EMBEDDED_IMPORTER, "exec", dont_inherit=True), namespace)
    load = namespace["load"]
    assert callable(load)
    return load  # type: ignore[return-value]


@contextmanager
def compiling_through(cache: EmbeddedCode) -> Iterator[EmbeddedCode]:
    builtins.compile = cache.compile
    try:
        yield cache
    finally:
        builtins.compile = qt_compat._COMPILE


@pytest.fixture(autouse=True)
def bytecode_may_be_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def run(code: CodeType) -> dict[str, object]:
    namespace: dict[str, object] = {}
    exec(code, namespace)
    return namespace


def test_a_second_run_takes_the_importers_code_from_the_table(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "pyside-code.marshal"
    load = importer()
    with compiling_through(EmbeddedCode(path)) as first:
        code = load(SOURCE, "shibokensupport/example.py")
    assert first.compiled == 1 and first.save() and path.is_file()
    assert first.compiled == 0 and not first.save()

    with compiling_through(EmbeddedCode(path)) as second:
        again = load(SOURCE, "shibokensupport/example.py")
        changed = load(SOURCE + b"OTHER = 1\n", "shibokensupport/example.py")  # another PySide's source
    assert second.compiled == 1  # only the changed source
    assert again == code and again.co_filename == "shibokensupport/example.py"
    assert run(again)["VALUE"] == "42" and run(changed)["OTHER"] == 1


def test_the_importers_future_features_are_kept_and_never_ours(tmp_path: Path) -> None:
    """compile() takes the future features of the code calling it; the stand-in's are made explicit, so a
    source compiled for an importer with `annotations` keeps string annotations and one without keeps objects,
    from the table too (this test module's own `annotations` reaches neither)."""
    path = tmp_path / "pyside-code.marshal"
    with_future, without = importer("from __future__ import annotations"), importer()
    for _run in range(2):
        with compiling_through(EmbeddedCode(path)) as cache:
            lazy = run(with_future(SOURCE, "shibokensupport/example.py"))
            eager = run(without(SOURCE, "shibokensupport/example.py"))
        assert lazy["f"].__annotations__ == {"a": "int", "return": "str"}  # type: ignore[attr-defined]
        assert eager["f"].__annotations__ == {"a": int, "return": str}  # type: ignore[attr-defined]
        cache.save()
    assert cache.compiled == 0  # the second run found both: two keys, one a flag apart


def test_every_other_caller_compiles_as_before_and_nothing_of_it_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "pyside-code.marshal"
    source = "x: int = 1\n"
    plain: dict[str, object] = {}
    exec(qt_compat._COMPILE("def load(s):\n    return compile(s, 'other.py', 'exec')\n", "other.py", "exec",
                            dont_inherit=True), plain)
    with compiling_through(EmbeddedCode(path)) as cache:
        ours = compile(source, "mine.py", "exec")  # this module has `annotations`: it is passed on as before
        theirs = plain["load"](source)  # type: ignore[operator]  # a caller without it
        importer_text = compile(source, "shibokensupport/x.py", "exec", dont_inherit=True)
    assert run(ours)["__annotations__"] == {"x": "int"}
    assert run(theirs)["__annotations__"] == {"x": int}
    assert run(importer_text)["__annotations__"] == {"x": int}
    assert cache.compiled == 0 and not cache.save() and not path.exists()


@pytest.mark.parametrize("damage", [*DAMAGES, "another patch release"])
def test_a_bad_table_costs_only_the_compiling(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "pyside-code.marshal"
    load = importer()
    with compiling_through(EmbeddedCode(path)) as first:
        load(SOURCE, "shibokensupport/example.py")
    first.save()
    head = first._head
    if damage == "another patch release":  # the same bytecode magic number, another version string
        data = path.read_bytes()
        path.write_bytes(data.replace(sys.version.encode(), b"9" + sys.version.encode()[1:], 1))
    else:
        damage_table_file(path, damage, head)
    with compiling_through(EmbeddedCode(path)) as again:
        assert run(load(SOURCE, "shibokensupport/example.py"))["VALUE"] == "42"
    assert again.compiled == 1 and again.save()


def test_import_shiboken_is_a_plain_import_when_it_cannot_help(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert qt_compat.import_shiboken({}, path=lambda: tmp_path / "t") is None  # shiboken6 is imported already
    monkeypatch.delitem(sys.modules, "shiboken6")  # (as if not: INSPECTOR_TESTING still makes it plain)
    assert qt_compat.import_shiboken({}, path=lambda: tmp_path / "t") is None
    assert "shiboken6" in sys.modules and builtins.compile is qt_compat._COMPILE and not (tmp_path / "t").exists()


def test_the_table_is_kept_where_python_keeps_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = qt_compat.embedded_code_file()
    assert here.parent == Path(qt_compat.__file__).parent / "__pycache__"
    assert here.name == f"pyside-code.{sys.implementation.cache_tag}.marshal"
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    assert qt_compat.embedded_code_file().is_relative_to(tmp_path)
    assert os.fspath(qt_compat.embedded_code_file()).endswith(".marshal")
