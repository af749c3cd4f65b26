"""The regular expressions' cache: the same patterns, no parsing on a second run, nothing written that was not
compiled during an import, and a bad file costs only the compiling."""

from __future__ import annotations

import _sre
import base64
import importlib
import itertools
import marshal
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from re import _compiler  # type: ignore[attr-defined]
from typing import Any

import pytest

from inspector.core import regexcache
from inspector.core.regexcache import FEW_NEW, HEAD, RegexCache, read_table
from tests.support.cli import run_main_py
from tests.support.table_files import DAMAGES, damage_table_file, rewrite_table_file

_COUNT = itertools.count()
_RE_COMPILE = _compiler.compile  # re's own, whatever a test attaches

# Patterns of every kind re knows (str and bytes, groups, look-arounds, conditionals, atomic groups and
# possessive repeats, inline and passed flags, classes, big repeats), with texts to run them on.
CORPUS: list[tuple[str | bytes, int]] = [
    (r"(?P<scheme>bearer|basic)\s+(?P<cred>[A-Za-z0-9._~+/-]+=*)", re.IGNORECASE),
    (r"^(?:[a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/:?#]+)", 0),
    (r"(?<![\w-])(api[-_]?key|token)\s*[:=]\s*(['\"]?)([^'\"\s]{4,})\2", re.IGNORECASE),
    (r"(?<=\d{2})-(?=\d{2})", 0),
    (r"(a)?(?(1)b|c)", 0),
    (r"(?>a+)b|x++y|z*+", 0),
    (r"(?i:Hello) (?-i:World)", 0),
    (r"""
        \b (?P<word> [^\W\d_]+ ) \b   # a word
        \s* (?P=word)                 # said twice
    """, re.VERBOSE),
    (r"[\u0400-\u04FF]+|[^\x00-\x7f]{2,}", 0),
    (r"\d{1,65535}?x", re.ASCII),
    (r"^\s*#.*$", re.MULTILINE),
    (r".+", re.DOTALL),
    (rb"\x00[\x01-\x1f]+\xff", 0),
    (rb"(?P<k>[a-z]+)=(?P<v>[^&]*)", re.IGNORECASE),
    (r"", 0),
]
TEXTS = ["Authorization: Bearer abc.DEF-123==", "https://user:pw@Example.com:8080/x?y#z", "api_key = 'sk_live_1234'",
         "12-34-56", "ab c b", "aaab xxy zz", "hello World HELLO world", "the the cat cat", "Привет мир ñandú",
         "123x 9x", "  # note\ncode\n#x", "line one\nline two", "", "é" * 40]


def _variant(pattern: str | bytes, n: int) -> str | bytes:
    """The pattern made unique (re keeps compiled patterns in its own cache): an empty group in front."""
    return (b"(?:)" * n + pattern) if isinstance(pattern, bytes) else ("(?:)" * n + pattern)


def _module(tmp_path: Path, patterns: list[tuple[str | bytes, int]]) -> str:
    """A module file that compiles `patterns` at import; its name."""
    name = f"rx_module_{next(_COUNT)}"
    lines = ["import re"] + [f"P{i} = re.compile({p!r}, {f})" for i, (p, f) in enumerate(patterns)]
    (tmp_path / f"{name}.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return name


@pytest.fixture
def importable(tmp_path: Path) -> Iterator[Path]:
    """A folder on sys.path whose modules are forgotten afterwards."""
    folder = tmp_path / "mods"
    folder.mkdir()
    sys.path.insert(0, str(folder))
    before = set(sys.modules)
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))
        for name in set(sys.modules) - before:
            del sys.modules[name]


@pytest.fixture
def attach() -> Iterator[Any]:
    """Attach a cache for the test (re's own compile and _sre are given back afterwards)."""
    attached: list[RegexCache] = []

    def attach_(cache: RegexCache) -> RegexCache:
        for other in attached:
            other.detach()
        cache.attach()
        attached.append(cache)
        re.purge()
        return cache

    yield attach_
    for cache in attached:
        cache.detach()
    re.purge()
    assert _compiler._sre is _sre and _compiler.compile is _RE_COMPILE


@pytest.fixture(autouse=True)
def bytecode_may_be_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a user's machine (this one may run with PYTHONDONTWRITEBYTECODE set)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def reference(pattern: str | bytes, flags: int) -> tuple[Any, tuple[Any, ...]]:
    """re's own compile of the pattern, and the arguments it gave _sre.compile."""
    seen: list[tuple[Any, ...]] = []
    stand_in = type(sys)("_sre")
    vars(stand_in).update(vars(_sre))
    stand_in.compile = lambda *args: seen.append(args) or _sre.compile(*args)  # type: ignore[attr-defined]
    _compiler._sre = stand_in
    try:
        compiled = _RE_COMPILE(pattern, flags)
    finally:
        _compiler._sre = _sre
    return compiled, seen[0]


def same_behaviour(mine: re.Pattern[Any], theirs: re.Pattern[Any]) -> None:
    assert (mine.pattern, mine.flags, mine.groups, dict(mine.groupindex)) == \
        (theirs.pattern, theirs.flags, theirs.groups, dict(theirs.groupindex))
    for text in TEXTS:
        subject: str | bytes = text.encode("utf-8") if isinstance(mine.pattern, bytes) else text
        assert [m.span() + m.groups() for m in mine.finditer(subject)] == \
            [m.span() + m.groups() for m in theirs.finditer(subject)]  # type: ignore[arg-type]


def key(pattern: str | bytes, flags: int) -> tuple[bool, str | bytes, int]:
    return (isinstance(pattern, bytes), pattern, flags)


def backdate(path: Path) -> None:
    """As if the table had been written two days ago (a run adding a few entries writes at most once a day)."""
    old = path.stat().st_mtime - 2 * 24 * 3600
    os.utime(path, (old, old))


def forget_modules() -> None:
    for name in [m for m in sys.modules if m.startswith("rx_module_")]:
        del sys.modules[name]


def first_run(tmp_path: Path, importable: Path, attach: Any, patterns: list[tuple[str | bytes, int]]) -> Path:
    """A run that imports a module compiling `patterns`, then saves; the table's path."""
    path = tmp_path / "cache" / "regexes.marshal"
    first = attach(RegexCache(path))
    importlib.import_module(_module(importable, patterns))
    assert first.compiled == len(patterns)
    assert first.save() and path.is_file()
    assert first.compiled == 0 and not first.save()  # nothing new: the file is not written again
    return path


def test_a_second_run_makes_every_pattern_from_the_table_as_re_would(tmp_path: Path, importable: Path,
                                                                      attach: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    patterns = [(_variant(p, 1), f) for p, f in CORPUS]
    path = first_run(tmp_path, importable, attach, patterns)
    table = read_table(path)
    assert set(table) == {key(*p) for p in patterns}
    for (_is_bytes, pattern, flags), (age, entry) in table.items():
        assert age == 0 and (pattern, *entry) == reference(pattern, flags)[1]  # the arguments re gives the engine

    second = attach(RegexCache(path))
    wanted, compile_ = set(patterns), second._compile

    def others_only(pattern: str | bytes, flags: int = 0) -> Any:  # (pytest compiles its own meanwhile)
        assert (pattern, flags) not in wanted, f"compiled by re, not made from the table: {pattern!r}"
        return compile_(pattern, flags)

    monkeypatch.setattr(second, "_compile", others_only)
    for pattern, flags in patterns:
        mine = re.compile(pattern, flags)
        same_behaviour(mine, reference(pattern, flags)[0])
    assert second.compiled == 0 and second._used == {key(*p) for p in patterns}


def test_a_pattern_compiled_at_run_time_is_never_written(tmp_path: Path, importable: Path, attach: Any) -> None:
    """What a user typed or a server sent reaches re at run time, never during an import: it is not kept."""
    path = tmp_path / "regexes.marshal"
    cache = attach(RegexCache(path))
    secret = "sk_live_" + os.urandom(8).hex()
    found = re.compile(re.escape(secret), re.IGNORECASE).search(f"token {secret.upper()}")
    assert found is not None
    assert cache.compiled == 0 and not cache.save() and not path.exists()

    importlib.import_module(_module(importable, [(_variant(r"kept\d+", 2), 0)]))
    re.findall(secret + "|other", "x")
    assert cache.compiled == 1 and cache.save()
    assert secret.encode() not in path.read_bytes()
    assert list(read_table(path)) == [key(_variant(r"kept\d+", 2), 0)]


def test_a_pattern_re_cannot_compile_still_raises_and_is_not_kept(tmp_path: Path, importable: Path,
                                                                   attach: Any) -> None:
    cache = attach(RegexCache(tmp_path / "regexes.marshal"))
    name = _module(importable, [(r"(unclosed", 0)])
    with pytest.raises(re.error, match="missing \\), unterminated subpattern"):
        importlib.import_module(name)
    assert cache.compiled == 0


def _damage(path: Path, damage: str) -> None:
    if damage in DAMAGES:
        damage_table_file(path, damage, HEAD)
        return
    payload = path.read_bytes()[len(HEAD) + 4:]
    if damage == "other regex engine":
        other = HEAD[:-5] + (_sre.MAGIC + 1).to_bytes(4, "little") + HEAD[-1:]
        path.write_bytes(other + path.read_bytes()[len(HEAD):])
    elif damage == "entries of another shape":
        table = marshal.loads(payload)
        rewrite_table_file(path, HEAD, {key: (age, entry[:3]) for key, (age, entry) in table.items()})
    else:  # "code the engine refuses": the right shape, nonsense for _sre
        table = marshal.loads(payload)
        rewrite_table_file(path, HEAD, {key: (age, (entry[0], [999_999] * 5, *entry[2:]))
                                        for key, (age, entry) in table.items()})


@pytest.mark.parametrize("damage", [*DAMAGES, "other regex engine", "entries of another shape",
                                    "code the engine refuses"])
def test_a_bad_file_costs_only_the_compiling_and_is_written_anew(tmp_path: Path, importable: Path, attach: Any,
                                                                 damage: str) -> None:
    patterns = [(_variant(p, 3), f) for p, f in CORPUS[:4]]
    path = first_run(tmp_path, importable, attach, patterns)
    _damage(path, damage)
    if damage != "code the engine refuses":
        assert read_table(path) == {}

    if path.exists():
        backdate(path)  # (four new entries: at most once a day)
    again = attach(RegexCache(path))
    forget_modules()
    module = importlib.import_module(_module(importable, patterns))
    for i, (pattern, flags) in enumerate(patterns):
        same_behaviour(getattr(module, f"P{i}"), reference(pattern, flags)[0])
    assert again.compiled == len(patterns)  # compiled (and written down) anew
    assert again.save()
    assert read_table(path) == {key(*p): (0, reference(*p)[1][1:]) for p in patterns}


def test_the_header_names_the_python_and_the_regex_engine() -> None:
    """A table is read only by the interpreter (bytecode magic number) and regex engine (its version and code
    size: the opcodes' numbering) that wrote it."""
    from importlib.util import MAGIC_NUMBER

    assert HEAD.startswith(MAGIC_NUMBER) and sys.version.encode() in HEAD  # (a patch release changes re too)
    assert HEAD.endswith(_sre.MAGIC.to_bytes(4, "little") + _sre.CODESIZE.to_bytes(1, "little"))


def test_what_is_not_a_regular_file_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert read_table(fifo) == {}  # at once: not waiting for a writer
    assert read_table(tmp_path) == {}


def test_the_file_is_private_and_an_unwritable_folder_is_not_an_error(tmp_path: Path, importable: Path,
                                                                       attach: Any) -> None:
    path = first_run(tmp_path, importable, attach, [(_variant("private", 4), 0)])
    assert path.stat().st_mode & 0o777 == 0o600

    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    cache = attach(RegexCache(blocked / "regexes.marshal"))
    importlib.import_module(_module(importable, [(_variant("unwritable", 4), 0)]))
    assert cache.compiled == 1 and cache.save() is False


def test_dont_write_bytecode_stops_the_writing(tmp_path: Path, importable: Path, attach: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    cache = attach(RegexCache(tmp_path / "regexes.marshal"))
    importlib.import_module(_module(importable, [(_variant("no bytecode", 5), 0)]))
    assert cache.compiled == 1 and cache.save() is False and not (tmp_path / "regexes.marshal").exists()


def test_an_entry_the_runs_stop_using_is_dropped_after_max_age_writes(tmp_path: Path, importable: Path,
                                                                      attach: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A pattern whose text changes from run to run is written by each run and used by none after it: it
    ages out. An entry a run uses is young again."""
    monkeypatch.setattr(regexcache, "MAX_AGE", 2)
    kept, path = (_variant("used by every run", 6), 0), tmp_path / "regexes.marshal"
    for run in range(5):
        if path.exists():
            backdate(path)
        cache = attach(RegexCache(path))
        changing = (_variant(f"built from a set, order {run}", 6), 0)
        importlib.import_module(_module(importable, [kept, changing]))
        assert cache.save()
        forget_modules()
    table = read_table(path)
    assert {k: age for k, (age, _entry) in table.items()} == {
        key(*kept): 0, key(_variant("built from a set, order 4", 6), 0): 0,
        key(_variant("built from a set, order 3", 6), 0): 1, key(_variant("built from a set, order 2", 6), 0): 2}


def test_a_run_adding_a_few_entries_writes_at_most_once_a_day(tmp_path: Path, importable: Path,
                                                              attach: Any) -> None:
    """A pattern whose text changes at every run would otherwise make every run write the table."""
    path = first_run(tmp_path, importable, attach, [(_variant("first", 8), 0)])
    written = path.stat()
    few = attach(RegexCache(path))
    importlib.import_module(_module(importable, [(_variant(f"few {i}", 8), 0) for i in range(FEW_NEW)]))
    assert few.compiled == FEW_NEW and few.save() is False
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)

    many = attach(RegexCache(path))  # a new version of the program: many new patterns are written at once
    importlib.import_module(_module(importable, [(_variant(f"many {i}", 8), 0) for i in range(FEW_NEW + 1)]))
    assert many.save() and len(read_table(path)) == 1 + FEW_NEW + 1

    backdate(path)
    later = attach(RegexCache(path))  # a day later, a few are written too
    importlib.import_module(_module(importable, [(_variant("a day later", 8), 0)]))
    assert later.save() and key(_variant("a day later", 8), 0) in read_table(path)


def test_patterns_compiled_on_several_threads_at_once_keep_their_own_code(tmp_path: Path, importable: Path,
                                                                          attach: Any) -> None:
    """The arguments _sre.compile is given are caught per thread: threads importing at the same time (as the
    window's start-up workers do) each keep their own pattern's."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch between any two steps: a shared capture would be caught out
    cache = attach(RegexCache(tmp_path / "regexes.marshal"))
    batches = [[(_variant(rf"t{t}-(\d+)-{i}[a-z]{{{t + 1}}}", 7), 0) for i in range(25)] for t in range(4)]
    names = [_module(importable, batch) for batch in batches]
    failures: list[BaseException] = []

    def load(name: str) -> None:
        try:
            importlib.import_module(name)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=load, args=(name,)) for name in names]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        sys.setswitchinterval(interval)
    assert not failures and cache.compiled == 100
    assert cache.save()
    table = read_table(cache.path)
    assert all(table[key(*p)] == (0, reference(*p)[1][1:]) for batch in batches for p in batch)


def test_detach_gives_re_its_own_compile_back(tmp_path: Path) -> None:
    cache = RegexCache(tmp_path / "regexes.marshal")
    cache.attach()
    try:
        assert _compiler.compile == cache.compile and _compiler._sre is not _sre
    finally:
        cache.detach()
    assert _compiler._sre is _sre and _compiler.compile is _RE_COMPILE


def test_install_is_skipped_under_testing_and_done_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert regexcache.install("cli", {}) is None  # this process's own INSPECTOR_TESTING counts
    monkeypatch.delenv("INSPECTOR_TESTING")
    assert regexcache.install("cli", {"INSPECTOR_TESTING": "1"}, path=lambda program: tmp_path / program) is None
    registered: list[object] = []
    monkeypatch.setattr("inspector.core.regexcache.atexit.register", registered.append)
    cache = regexcache.install("cli", {}, path=lambda program: tmp_path / program)
    try:
        assert cache is not None and registered == [cache.save] and cache.path == tmp_path / "cli"
        assert regexcache.install("window", {}, path=lambda program: tmp_path / program) is None  # installed
    finally:
        assert cache is not None
        cache.detach()

    def no_path(_program: str) -> Path:
        raise NotImplementedError("sys.implementation.cache_tag is None")

    assert regexcache.install("cli", {}, path=no_path) is None
    assert _compiler._sre is _sre


def test_the_file_is_kept_where_python_keeps_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli, window = regexcache.default_cache_file("cli"), regexcache.default_cache_file("window")
    assert cli.parent == window.parent == Path(regexcache.__file__).parent / "__pycache__"
    assert cli.name == f"regexes.cli.{sys.implementation.cache_tag}.marshal" and ".window." in window.name
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path))
    assert regexcache.default_cache_file("cli").is_relative_to(tmp_path)


def test_the_command_line_writes_the_table_once_then_reads_it(tmp_path: Path) -> None:
    """A real `python main.py token …`, twice (each with its own hash seed, as a user's runs), with Python's
    bytecode kept under a prefix of its own: the first run writes the table, the second finds the patterns
    there and does not write it again (PyJWT's pattern built from a set is new at each run: one entry, which
    waits a day). Neither the token given nor a secret in the environment is in the file."""
    canary = "CANARY" + os.urandom(6).hex()
    env: dict[str, str | None] = {"INSPECTOR_TESTING": None, "PYTHONDONTWRITEBYTECODE": None, "PYTHONHASHSEED": None,
                                  "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache"), "HOME": str(tmp_path),
                                  "HTTPS_PROXY": f"http://user:{canary}@127.0.0.1:9", "API_TOKEN": canary}
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name.lower())
    claims = base64.urlsafe_b64encode(f'{{"sub":"alice","note":"{canary}"}}'.encode()).rstrip(b"=").decode()
    token = f"eyJhbGciOiJIUzI1NiJ9.{claims}.c2lnbmF0dXJl"
    first = run_main_py("token", token, env=env)
    assert first.returncode == 0, first.stderr
    files = list((tmp_path / "pycache").rglob("regexes.cli.*.marshal"))
    assert len(files) == 1 and len(read_table(files[0])) > 10
    written = os.stat(files[0])

    second = run_main_py("token", token, env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout and "alice" in second.stdout and canary in second.stdout
    again = os.stat(files[0])
    assert (again.st_ino, again.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    data = files[0].read_bytes()
    assert canary.encode() not in data and claims.encode() not in data


def test_debug_is_left_to_re_and_a_regexflag_is_kept_as_its_value(tmp_path: Path, importable: Path, attach: Any,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """re.DEBUG prints the parse at every compile, so it is never served from the table; sre_compile passes
    flags as a RegexFlag (an int subclass marshal cannot write)."""
    cache = attach(RegexCache(tmp_path / "regexes.marshal"))
    (importable / "rx_module_flags.py").write_text(
        "import re\nfrom re import _compiler\n"
        f"D = re.compile({_variant('debugged', 9)!r}, re.DEBUG)\n"
        f"F = _compiler.compile({_variant('flagged', 9)!r}, re.IGNORECASE)\n", encoding="utf-8")
    importlib.import_module("rx_module_flags")
    assert "LITERAL" in capsys.readouterr().out
    assert cache.compiled == 1 and cache.save()
    assert list(read_table(cache.path)) == [key(_variant("flagged", 9), int(re.IGNORECASE))]


def test_an_entry_the_engine_refuses_at_run_time_is_compiled_by_re_and_dropped(tmp_path: Path, importable: Path,
                                                                              attach: Any) -> None:
    pattern = (_variant(r"run (time)", 10), 0)
    path = first_run(tmp_path, importable, attach, [pattern])
    _damage(path, "code the engine refuses")
    cache = attach(RegexCache(path))
    assert key(*pattern) in cache._table
    assert re.compile(*pattern).search("at run time").group(1) == "time"  # (not during an import)
    assert key(*pattern) not in cache._table and cache.compiled == 0


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path, importable: Path, attach: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = first_run(tmp_path, importable, attach, [(_variant("sized", 11), 0)])
    monkeypatch.setattr(regexcache, "MAX_FILE_BYTES", path.stat().st_size - 1)
    assert read_table(path) == {}


def test_a_str_and_a_bytes_pattern_of_one_text_are_never_compared(tmp_path: Path) -> None:
    """`python -bb` makes comparing str with bytes an error: both kinds of the same text, recorded, read back
    and compiled, raise nothing."""
    code = f"""
import importlib, re, sys
sys.dont_write_bytecode = False
sys.path.insert(0, {str(tmp_path)!r})
from pathlib import Path
from inspector.core.regexcache import RegexCache
open({str(tmp_path / "both.py")!r}, "w").write("import re\\nS = re.compile('abc+')\\nB = re.compile(b'abc+')\\n")
first = RegexCache(Path({str(tmp_path / "t")!r}))
first.attach()
importlib.import_module("both")
assert first.compiled == 2 and first.save()
first.detach()
re.purge()
second = RegexCache(Path({str(tmp_path / "t")!r}))
second.attach()
assert len(second._table) == 2
assert re.compile("abc+").match("abcc") and re.compile(b"abc+").match(b"abcc")
print("ok")
"""
    done = subprocess.run([sys.executable, "-bb", "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=str(Path(regexcache.__file__).parents[2]), check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
