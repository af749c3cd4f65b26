"""PySide's embedded Python compiled once (ui/qt_compat.py: EmbeddedCode, import_shiboken): the same code on a
second run without compiling, the importer's own future features kept, every other caller compiled as before.

shiboken6 is imported long before these tests run, so its importer is stood in for by a function whose code
carries the importer's file name (EMBEDDED_IMPORTER), as the real one's does."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import CodeType

import pytest

from inspector.ui import qt_compat
from inspector.ui.qt_compat import EMBEDDED_IMPORTER, EmbeddedCode
from tests.support.table_files import DAMAGES, damage_table_file, rewrite_table_file

SOURCE = b"def f(a: int) -> str:\n    return str(a * 2)\nVALUE = f(21)\n"


def importer(futures: str = "") -> Callable[[bytes, str], CodeType]:
    """A stand-in for shiboken's importer: compile() called from code of that file name, with `futures`."""
    namespace: dict[str, object] = {}
    text = f"{futures}\ndef load(source, name, mode='exec'):\n    return compile(source, name, mode)\n"
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
    monkeypatch.delenv("INSPECTOR_TESTING")
    fake = _fake_shiboken(tmp_path, monkeypatch)
    assert qt_compat.import_shiboken({"INSPECTOR_TESTING": "1"}, path=lambda: tmp_path / "t", module=fake) is None
    assert fake in sys.modules and builtins.compile is qt_compat._COMPILE and not (tmp_path / "t").exists()


def _fake_shiboken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, fails: bool = False) -> str:
    """A module whose import compiles an embedded source through a stand-in of shiboken's importer, as
    shiboken6's does; its name (a new one each time: forgotten after the test)."""
    name = f"fake_shiboken_{os.urandom(4).hex()}"
    folder = tmp_path / "fake"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(
        "from tests.ui.test_embedded_code import SOURCE, importer\n"
        "namespace = {}\n"
        "exec(importer()(SOURCE, 'shibokensupport/example.py'), namespace)\n"
        "VALUE = namespace['VALUE']\n" + ("raise ImportError('the binding is broken')\n" if fails else ""),
        encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setattr(sys, "modules", dict(sys.modules))  # (the fake module is forgotten afterwards)
    return name


def test_import_shiboken_compiles_through_the_table_and_gives_compile_back(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The real path, with a module standing in for shiboken6: the first import compiles and registers the
    save; the second finds the code; builtins.compile is what it was before (a wrapper a tool installed too,
    which every call not looked up went through), also when the import fails."""
    monkeypatch.delenv("INSPECTOR_TESTING")
    registered: list[object] = []
    monkeypatch.setattr("atexit.register", registered.append)
    path = tmp_path / "pyside-code.marshal"
    seen: list[str] = []

    def tool(source: object, filename: object, *args: object, **kwargs: object) -> object:
        seen.append(str(filename))
        return qt_compat._COMPILE(source, filename, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "compile", tool)
    first = qt_compat.import_shiboken({}, path=lambda: path, module=_fake_shiboken(tmp_path, monkeypatch))
    assert first is not None and first.compiled == 1 and registered == [first.save]
    assert builtins.compile is tool and "shibokensupport/example.py" in seen
    assert first.save()

    seen.clear()
    second = qt_compat.import_shiboken({}, path=lambda: path, module=_fake_shiboken(tmp_path, monkeypatch))
    assert second is not None and second.compiled == 0 and len(registered) == 1  # nothing to save
    assert "shibokensupport/example.py" not in seen and builtins.compile is tool

    with pytest.raises(ImportError, match="the binding is broken"):
        qt_compat.import_shiboken({}, path=lambda: path, module=_fake_shiboken(tmp_path, monkeypatch, fails=True))
    assert builtins.compile is tool


def test_keys_keep_apart_what_compile_would_make_differently(tmp_path: Path) -> None:
    """The file name and mode are part of the key; another future feature of the importer too."""
    path = tmp_path / "pyside-code.marshal"
    load, flufl = importer(), importer("from __future__ import barry_as_FLUFL")
    with compiling_through(EmbeddedCode(path)) as cache:
        one = load(SOURCE, "shibokensupport/one.py")
        two = load(SOURCE, "shibokensupport/two.py")
        statement = load(b"1 + 1", "shibokensupport/one.py")
        expression = load(b"1 + 1", "shibokensupport/one.py", "eval")
        bdfl = flufl(b"X = 1 <> 2\n", "shibokensupport/flufl.py")
    assert (one.co_filename, two.co_filename) == ("shibokensupport/one.py", "shibokensupport/two.py")
    assert cache.compiled == 5 and eval(expression) == 2 and eval(statement) is None and run(bdfl)["X"] is True
    cache.save()
    with compiling_through(EmbeddedCode(path)) as again:
        assert run(flufl(b"X = 1 <> 2\n", "shibokensupport/flufl.py"))["X"] is True
        names = [load(SOURCE, f"shibokensupport/{n}.py").co_filename for n in ("one", "two")]
        assert names == ["shibokensupport/one.py", "shibokensupport/two.py"]
        assert eval(load(b"1 + 1", "shibokensupport/one.py", "eval")) == 2
        assert eval(load(b"1 + 1", "shibokensupport/one.py")) is None
    assert again.compiled == 0


def test_dont_write_bytecode_stops_the_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    with compiling_through(EmbeddedCode(tmp_path / "pyside-code.marshal")) as cache:
        importer()(SOURCE, "shibokensupport/example.py")
    assert cache.compiled == 1 and cache.save() is False and not (tmp_path / "pyside-code.marshal").exists()


def test_only_well_formed_entries_are_read(tmp_path: Path) -> None:
    path = tmp_path / "pyside-code.marshal"
    with compiling_through(EmbeddedCode(path)) as cache:
        importer()(SOURCE, "shibokensupport/example.py")
    cache.save()
    (good_key, code), = EmbeddedCode(path)._codes.items()
    rewrite_table_file(path, cache._head, {good_key: code, ("not", "a key"): code, good_key[:5]: code,
                                           (True, "str under bytes", "f", "exec", 0, 0): code,
                                           (*good_key[:5], 1): "not code"})
    assert list(EmbeddedCode(path)._codes) == [good_key]


_LEVELS = """
import sys
sys.dont_write_bytecode = False
from pathlib import Path
from tests.ui.test_embedded_code import compiling_through, importer, run
from inspector.ui.qt_compat import EmbeddedCode, embedded_code_file
with compiling_through(EmbeddedCode(Path(sys.argv[1]) if sys.argv[1] else embedded_code_file())) as cache:
    code = importer()(b"assert False, 'kept'\\nDOC = (lambda: None).__doc__\\n", "shibokensupport/o.py")
try:
    run(code)
    print("no assert", cache.compiled, embedded_code_file().name)
except AssertionError:
    print("assert", cache.compiled, embedded_code_file().name)
cache.save()
"""


def test_each_optimization_level_has_its_own_code(tmp_path: Path) -> None:
    """optimize=-1 (what shiboken's importer passes) means the interpreter's -O level: a run with -O must
    not serve its assert-free code to a plain run, even from one file; and each level has its file."""
    from tests.support.cli import ROOT

    def start(*flags: str, table: str = "") -> str:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}
        done = subprocess.run([sys.executable, *flags, "-c", _LEVELS, table], cwd=ROOT, capture_output=True,
                              text=True, timeout=60, check=False, env=env)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    tag, one = sys.implementation.cache_tag, str(tmp_path / "one-table")
    assert start("-O", table=one).startswith("no assert 1")
    assert start(table=one).startswith("assert 1")  # the same file: the -O run's code is not served
    assert start("-O") == f"no assert 1 pyside-code.opt-1.{tag}.marshal"
    assert start() == f"assert 1 pyside-code.{tag}.marshal"
    assert start("-O") == f"no assert 0 pyside-code.opt-1.{tag}.marshal"  # each level keeps its own file
    assert start() == f"assert 0 pyside-code.{tag}.marshal"


def test_a_str_and_a_bytes_source_of_one_text_are_never_compared(tmp_path: Path) -> None:
    """`python -bb` makes comparing str with bytes an error."""
    from tests.support.cli import ROOT

    code = """
import sys
from pathlib import Path
from tests.ui.test_embedded_code import compiling_through, importer
from inspector.ui.qt_compat import EmbeddedCode
sys.dont_write_bytecode = False
path = Path(sys.argv[1])
with compiling_through(EmbeddedCode(path)) as cache:
    importer()(b"X = 1\\n", "shibokensupport/x.py")
    importer()("X = 1\\n", "shibokensupport/x.py")
assert cache.compiled == 2 and cache.save()
with compiling_through(EmbeddedCode(path)) as again:
    importer()("X = 1\\n", "shibokensupport/x.py")
    importer()(b"X = 1\\n", "shibokensupport/x.py")
assert again.compiled == 0
print("ok")
"""
    done = subprocess.run([sys.executable, "-bb", "-c", code, str(tmp_path / "t")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_table_is_kept_where_python_keeps_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = qt_compat.embedded_code_file()
    assert here.parent == Path(qt_compat.__file__).parent / "__pycache__"
    assert here.name == f"pyside-code.{sys.implementation.cache_tag}.marshal"
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    assert qt_compat.embedded_code_file().is_relative_to(tmp_path)
    assert os.fspath(qt_compat.embedded_code_file()).endswith(".marshal")
