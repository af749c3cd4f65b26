"""The dataclass-methods cache: the same classes, no compiling on a second run, and a bad file costs nothing."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import sys
from collections.abc import Iterator
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType

import pytest

from inspector.core import codecache
from inspector.core.codecache import CodeCache, read_table, write_table
from tests.support.cli import run_main_py
from tests.support.table_files import DAMAGES, damage_table_file

SOURCE = '''
@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()
'''


def used(cache: CodeCache) -> set[str]:
    return cache._used  # the texts this run looked up


@pytest.fixture(autouse=True)
def bytecode_may_be_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a user's machine (this one may run with PYTHONDONTWRITEBYTECODE set)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


@pytest.fixture
def cached_dataclasses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[CodeCache]]:
    """dataclasses compiling through whichever cache the test puts in the list (restored afterwards)."""
    caches: list[CodeCache] = []

    def exec_through_last(source: object, globals_: dict[str, object] | None = None,
                          locals_: dict[str, object] | None = None, /) -> None:
        caches[-1].exec(source, globals_, locals_)

    monkeypatch.setattr(dataclasses, "exec", exec_through_last, raising=False)
    yield caches


def make_point(source: str = SOURCE) -> type:
    namespace: dict[str, object] = {"dataclasses": dataclasses}
    exec(source, namespace)
    point = namespace["Point"]
    assert isinstance(point, type)
    return point


def test_a_class_made_through_the_cache_behaves_as_one_made_without(tmp_path: Path,
                                                                    cached_dataclasses: list[CodeCache]) -> None:
    cached_dataclasses.append(CodeCache(tmp_path / "table"))
    point = make_point()
    p = point(1, tags=("a",))
    assert (p.x, p.y, p.tags) == (1, 0, ("a",))
    assert p == point(1, 0, ("a",)) and p != point(2)
    assert hash(p) == hash(point(1, 0, ("a",)))
    assert repr(p) == "Point(x=1, y=0, tags=('a',))"
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 3  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        point()  # x has no default
    assert cached_dataclasses[-1].compiled > 0


def test_a_second_run_reads_the_methods_instead_of_compiling_them(tmp_path: Path,
                                                                   cached_dataclasses: list[CodeCache]) -> None:
    path = tmp_path / "cache" / "table"
    first = CodeCache(path)
    cached_dataclasses.append(first)
    make_point()
    made = first.compiled
    assert made >= 4  # __init__, __repr__, __eq__, __hash__, and frozen's __setattr__/__delattr__
    assert first.save() and path.is_file()
    assert first.compiled == 0 and not first.save()  # nothing new: the file is not written again

    second = CodeCache(path)
    cached_dataclasses.append(second)
    point = make_point()
    assert second.compiled == 0
    assert point(1, 2) == point(1, 2) and repr(point(1, 2)) == "Point(x=1, y=2, tags=())"


def second_run(path: Path, caches: list[CodeCache]) -> CodeCache:
    """The cache a run reads after a first run made Point and saved; dataclasses compile through it."""
    first = CodeCache(path)
    caches.append(first)
    make_point()
    assert first.save()
    caches.append(CodeCache(path))
    return caches[-1]


def test_a_changed_class_is_compiled_anew(tmp_path: Path, cached_dataclasses: list[CodeCache]) -> None:
    second = second_run(tmp_path / "table", cached_dataclasses)
    point = make_point(SOURCE.replace("y: int = 0", "y: int = 0\n    z: int = 7"))
    assert second.compiled > 0
    assert repr(point(1)) == "Point(x=1, y=0, z=7, tags=())"


def test_defaults_are_not_part_of_the_cached_code(tmp_path: Path, cached_dataclasses: list[CodeCache]) -> None:
    """A changed default reuses the cached methods and still applies: dataclasses hands the values to the
    compiled code instead of writing them into its text."""
    second = second_run(tmp_path / "table", cached_dataclasses)
    point = make_point(SOURCE.replace("y: int = 0", "y: int = 5"))
    assert second.compiled == 0
    assert point(1).y == 5


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_bad_file_costs_only_the_compiling_and_is_written_anew(tmp_path: Path, damage: str,
                                                                 cached_dataclasses: list[CodeCache]) -> None:
    path = tmp_path / "table"
    good = CodeCache(path)
    cached_dataclasses.append(good)
    make_point()
    good.save()
    damage_table_file(path, damage, MAGIC_NUMBER)
    assert read_table(path) == {}

    again = CodeCache(path)
    cached_dataclasses.append(again)
    point = make_point()
    assert again.compiled > 0 and point(3) == point(3)
    assert again.save()
    table = read_table(path)
    assert set(table) == used(again)
    assert all(isinstance(code, CodeType) for code in table.values())


def test_no_cache_folder_means_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSPECTOR_TESTING")

    def no_folder(_program: str) -> Path:
        raise RuntimeError("no home directory")

    assert codecache.install("cli", {}, path=no_folder) is None
    assert "exec" not in vars(dataclasses)


@pytest.mark.parametrize("kind", ["folder", "fifo", "huge"])
def test_what_is_not_a_table_file_is_not_read(tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch,
                                              cached_dataclasses: list[CodeCache]) -> None:
    """Nothing blocks or fills the memory at start-up: a FIFO is not waited on, a huge file is not read."""
    path = tmp_path / "table"
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        write_table(path, {})
        monkeypatch.setattr(codecache, "MAX_FILE_BYTES", path.stat().st_size - 1)
    cache = CodeCache(path)
    cached_dataclasses.append(cache)
    point = make_point()  # (a blocked open would hang here: the test's timeout would end it)
    assert point(1) == point(1) and cache.compiled > 0
    assert read_table(path) == {}


def test_the_methods_are_compiled_as_exec_compiles_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No future flag of codecache's own (its `from __future__ import annotations`) reaches the methods: their
    annotations and code flags are those of a class made without the cache."""
    plain = make_point()  # dataclasses as they are
    monkeypatch.setattr(dataclasses, "exec", CodeCache(tmp_path / "table").exec, raising=False)
    cached = make_point()
    for name in ("__init__", "__repr__", "__eq__", "__setattr__"):
        ours, theirs = getattr(cached, name), getattr(plain, name)
        assert ours.__code__.co_flags == theirs.__code__.co_flags, name
        assert ours.__annotations__ == theirs.__annotations__, name


def test_the_file_is_private(tmp_path: Path, cached_dataclasses: list[CodeCache]) -> None:
    path = tmp_path / "cache" / "request-inspector" / "table"
    cache = CodeCache(path)
    cached_dataclasses.append(cache)
    make_point()
    assert cache.save()
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700


def test_an_unwritable_folder_is_not_an_error(tmp_path: Path, cached_dataclasses: list[CodeCache]) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    cache = CodeCache(blocker / "table")
    cached_dataclasses.append(cache)
    make_point()
    assert not cache.save()


def test_dont_write_bytecode_stops_the_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               cached_dataclasses: list[CodeCache]) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    cache = CodeCache(tmp_path / "table")
    cached_dataclasses.append(cache)
    make_point()
    assert not cache.save()
    assert not (tmp_path / "table").exists()


def test_past_the_limit_only_what_this_run_used_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        cached_dataclasses: list[CodeCache]) -> None:
    path = tmp_path / "table"
    stale = {f"# an old class's text {n}\n": compile("pass", "<string>", "exec") for n in range(10)}
    write_table(path, stale)
    monkeypatch.setattr(codecache, "MAX_ENTRIES", 5)
    cache = CodeCache(path)
    cached_dataclasses.append(cache)
    make_point()
    assert cache.save()
    kept = read_table(path)
    assert kept and not set(kept) & set(stale)
    assert set(kept) == used(cache)


def test_install_is_skipped_under_testing_and_done_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # whatever install() sets is taken away after the test: a set-then-deleted attribute is deleted on undo
    monkeypatch.setattr(dataclasses, "exec", exec, raising=False)
    monkeypatch.delattr(dataclasses, "exec")
    assert codecache.install("cli", {"INSPECTOR_TESTING": "1"}) is None
    assert codecache.install("cli", {}) is None  # this process's own INSPECTOR_TESTING counts too
    assert "exec" not in vars(dataclasses)

    monkeypatch.delenv("INSPECTOR_TESTING")  # (set for every test by conftest: install() reads it too)
    registered: list[object] = []
    monkeypatch.setattr("inspector.core.codecache.atexit.register", registered.append)
    cache = codecache.install("cli", {}, path=lambda program: tmp_path / program)
    assert cache is not None and cache.path == tmp_path / "cli"
    assert vars(dataclasses)["exec"] == cache.exec and registered == [cache.save]
    assert codecache.install("window", {}, path=lambda program: tmp_path / program) is None  # installed already


def test_each_program_has_its_file() -> None:
    cli, window = codecache.default_cache_file("cli"), codecache.default_cache_file("window")
    assert cli.parent == window.parent and cli != window
    assert ".cli." in cli.name and ".window." in window.name and sys.implementation.cache_tag in cli.name


def _token() -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': 'alice', 'exp': 2_000_000_000})}.c2lnbmF0dXJl"


def test_the_command_line_writes_the_cache_once_then_reads_it(tmp_path: Path) -> None:
    """A real `python main.py token …`, twice: the first run writes the file, the second finds every method
    in it (it compiles nothing, so it does not write the file again) and prints the same."""
    env: dict[str, str | None] = {"INSPECTOR_TESTING": None, "PYTHONDONTWRITEBYTECODE": None, "HOME": str(tmp_path)}
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name.lower())
    first = run_main_py("token", _token(), env=env)
    assert first.returncode == 0, first.stderr
    files = list((tmp_path / "xdg_cache_home").rglob("dataclass-methods.cli.*"))
    assert len(files) == 1 and read_table(files[0])
    written = os.stat(files[0])

    second = run_main_py("token", _token(), env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout and "alice" in second.stdout
    again = os.stat(files[0])
    assert (again.st_ino, again.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
