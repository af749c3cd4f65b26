"""Collections on disk: loading a tree (broken files reported, the rest loaded), atomic saves with conflict
detection, creating, renaming, moving and deleting, and a poll for changes made behind our back (a git pull).

The saving rules are the profiles' (core/profiles/store.py): a save renders the file, checks it loads back,
then under the folder's cross-process lock compares the file's content hash with what was loaded and writes
atomically (core/files.py). A file that changed, appeared or vanished since it was loaded is a
CollectionConflict unless the caller overwrites. Loading never writes. A literal secret is refused on save.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

from inspector.core.collections.model import (
    COLLECTION_FILE,
    ENVIRONMENTS_DIR,
    FOLDER_FILE,
    RESERVED_DIRS,
    SUFFIX,
    Collection,
    CollectionConflict,
    CollectionError,
    CollectionFileError,
    CollectionStorageError,
    Environment,
    Fingerprint,
    Folder,
    Item,
    SavedRequest,
    collection_from_document,
    environment_from_document,
    folder_from_document,
    parse_toml,
    request_from_document,
    slug,
)
from inspector.core.collections.secrecy import request_literal_secrets, variables_literal_secrets
from inspector.core.files import (
    LOCK_TIMEOUT_S,
    check_unchanged,
    folder_lock,
    is_temp_for,
    read_small_text,
    storage_error,
    write_keeping_mode,
)

ENV_VAR = "INSPECTOR_COLLECTIONS"
MAX_FILE_BYTES = 8 * 1024 * 1024  # a request file is a few KB; a bigger one is the wrong file
MAX_DEPTH = 32  # folders nested deeper than this are reported, not followed
MAX_FILES = 100_000  # a collection is thousands of files at most; a bound against a wrongly chosen folder


@dataclass(frozen=True)
class Problem:
    """A file that could not be used; message is a full sentence naming the file (and line when known)."""

    code: str  # broken-file | unreadable | newer-format | missing-field | bad-field | too-deep | too-many
    message: str
    path: Path
    line: int | None = None
    field: str | None = None


class LoadResult(NamedTuple):
    collection: Collection
    problems: list[Problem]


def _problem(exc: CollectionFileError) -> Problem:
    return Problem(exc.code, str(exc), exc.path, exc.line, exc.field)


# --- reading -----------------------------------------------------------------------------------------------


def read_text(path: Path) -> tuple[str, Fingerprint]:
    """The file's text and fingerprint; CollectionFileError (unreadable, too large, not UTF-8)."""
    text, data, st = read_small_text(path, MAX_FILE_BYTES, "a collection file", CollectionFileError)
    return text, Fingerprint.of(data, st)


def read_request(path: Path) -> SavedRequest:
    """One request file; CollectionFileError when it is broken."""
    path = Path(path)
    text, fp = read_text(path)
    return request_from_document(parse_toml(text, path), path, text, fp)


def read_folder(folder_dir: Path) -> Folder:
    """A folder's own settings (folder.toml when there is one), without its items."""
    folder_dir = Path(folder_dir)
    meta = folder_dir / FOLDER_FILE
    if not meta.is_file():
        return Folder(name=folder_dir.name, path=folder_dir)
    text, fp = read_text(meta)
    return folder_from_document(parse_toml(text, meta), meta, folder_dir, text, fp)


def read_environment(path: Path) -> Environment:
    path = Path(path)
    text, fp = read_text(path)
    return environment_from_document(parse_toml(text, path), path, text, fp)


def read_collection_meta(root: Path) -> Collection:
    """collection.toml alone (no tree): CollectionError when root is not a collection."""
    root = Path(root)
    path = root / COLLECTION_FILE
    if not path.is_file():
        raise CollectionError(
            f"{root} is not a collection: it has no {COLLECTION_FILE}. Point at the folder that holds it, or "
            "create one with format = 1 and a name."
        )
    text, fp = read_text(path)
    return collection_from_document(parse_toml(text, path), root, text, fp)


def find_collection_root(path: Path) -> Path:
    """The collection folder holding path (itself, or the nearest parent with collection.toml)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise CollectionError(f"{path} does not exist: check the path.")
    current = path if path.is_dir() else path.parent
    for candidate in (current, *current.parents):  # bounded by the path's depth
        if (candidate / COLLECTION_FILE).is_file():
            return candidate
    raise CollectionError(
        f"{path} is not in a collection: neither it nor a folder above it holds {COLLECTION_FILE}."
    )


def load_collection(root: Path) -> LoadResult:
    """The whole collection: every folder, request and environment; broken files become problems."""
    root = Path(root)
    problems: list[Problem] = []
    try:
        collection = read_collection_meta(root)
    except CollectionFileError as exc:
        problems.append(_problem(exc))
        collection = Collection(name=root.name, root=root)
    counter = [0]
    items = _load_items(root, collection.order, True, 0, problems, counter, set())
    environments = []
    env_dir = root / ENVIRONMENTS_DIR
    for path in _toml_files(env_dir):
        try:
            environments.append(read_environment(path))
        except CollectionFileError as exc:
            problems.append(_problem(exc))
    environments.sort(key=lambda e: (e.name.casefold(), e.stem))
    return LoadResult(replace(collection, items=items, environments=tuple(environments)), problems)


def _toml_files(folder: Path) -> list[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []
    out = []
    for entry in entries:
        if entry.name.startswith(".") or not entry.name.endswith(SUFFIX) or is_temp_for(entry.name):
            continue
        try:
            if entry.is_file():
                out.append(Path(entry.path))
        except OSError:
            continue
    return out


def _load_items(
    folder: Path,
    order: Sequence[str],
    top: bool,
    depth: int,
    problems: list[Problem],
    counter: list[int],
    seen: set[str],
) -> tuple[Item, ...]:
    try:
        real = os.path.realpath(folder)
    except (OSError, ValueError):
        real = str(folder)
    if real in seen:  # a symlink back up the tree
        problems.append(
            Problem("too-deep", f"{folder} links back to a folder above it; it was skipped.", folder)
        )
        return ()
    seen = seen | {real}
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        problems.append(
            Problem("unreadable", f"{folder}: the folder cannot be read ({exc.strerror or exc}).", folder)
        )
        return ()
    items: list[Item] = []
    for entry in entries:
        name = entry.name
        if name.startswith(".") or is_temp_for(name):
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_dir:
            if top and name in RESERVED_DIRS:
                continue
            if depth + 1 > MAX_DEPTH:
                problems.append(
                    Problem(
                        "too-deep",
                        f"{path} is nested more than {MAX_DEPTH} folders deep; it was not loaded.",
                        path,
                    )
                )
                continue
            try:
                sub = read_folder(path)
            except CollectionFileError as exc:
                problems.append(_problem(exc))
                sub = Folder(name=name, path=path)
            children = _load_items(path, sub.order, False, depth + 1, problems, counter, seen)
            items.append(replace(sub, items=children))
            continue
        if not name.endswith(SUFFIX) or name in (FOLDER_FILE, COLLECTION_FILE):
            continue
        counter[0] += 1
        if counter[0] > MAX_FILES:
            if counter[0] == MAX_FILES + 1:
                problems.append(
                    Problem(
                        "too-many",
                        f"{folder}: more than {MAX_FILES} request files; the rest "
                        "were not loaded. Is this the right folder?",
                        folder,
                    )
                )
            continue
        try:
            items.append(read_request(path))
        except CollectionFileError as exc:
            problems.append(_problem(exc))
    return ordered(items, order)


def item_key(item: Item) -> str:
    """The name an `order` list uses for an item: its file stem or folder name."""
    if isinstance(item, Folder):
        return item.path.name if item.path is not None else slug(item.name)
    return item.stem


def ordered(items: Iterable[Item], order: Sequence[str]) -> tuple[Item, ...]:
    """Items in `order` first (by file stem, file name, folder or display name), then the rest by name."""
    pending = list(items)
    out: list[Item] = []
    for wanted in order:
        for i, item in enumerate(pending):
            key = item_key(item)
            if wanted in (key, key + SUFFIX, item.name):
                out.append(pending.pop(i))
                break
    pending.sort(key=lambda item: (item.name.casefold(), item_key(item)))
    return tuple(out + pending)


# --- saving ------------------------------------------------------------------------------------------------


def _current_sha256(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise CollectionError(
            f"{path} is a folder: a file cannot be saved there; rename that folder."
        ) from None
    except OSError as exc:
        raise storage_error(exc, path, "read", CollectionStorageError) from None
    import hashlib  # loading it (OpenSSL) costs memory and milliseconds: only once a file is hashed

    return hashlib.sha256(data).hexdigest()


def dumps(document: Mapping[str, Any]) -> str:
    """The TOML text of a document (collections.tomltext; its writer is imported when a file is written)."""
    from inspector.core.collections.tomltext import dumps as toml_dumps

    return toml_dumps(document)


def _write(
    path: Path, text: str, loaded: Fingerprint | None, *, overwrite: bool, lock_timeout: float
) -> Fingerprint:
    """Compare and write under the folder's lock; the new fingerprint."""
    data = text.encode("utf-8")
    folder = path.parent
    if not folder.is_dir():
        raise CollectionError(f"The folder {folder} does not exist: create it first, or fix the path.")
    with folder_lock(folder, timeout=lock_timeout, error=CollectionStorageError):
        if not overwrite:
            loaded_sha256 = None if loaded is None else loaded.sha256
            check_unchanged(path, _current_sha256(path), loaded_sha256, CollectionConflict)
        st = write_keeping_mode(path, data, CollectionStorageError)
    return Fingerprint.of(data, st)


def _refuse_literals(path: Path, found: list[str]) -> None:
    if found:
        raise CollectionError(
            f"{path}: {', '.join(found)} holds a literal secret, and collection files are shared: put "
            "credentials in a profile, and write secret values as {{variables}} whose value in an "
            "environment "
            "is a reference such as ${secret:KEY} (python main.py secrets set KEY)."
        )


def render_request(request: SavedRequest) -> str:
    return dumps(request.to_document())


def save_request(
    request: SavedRequest, *, overwrite: bool = False, lock_timeout: float = LOCK_TIMEOUT_S
) -> SavedRequest:
    """Write the request to request.path; CollectionConflict, CollectionError (literal secret, bad value)."""
    if request.path is None:
        raise CollectionError(f"The request '{request.name}' has no file yet: choose a folder to save it in.")
    path = request.path
    _refuse_literals(path, request_literal_secrets(request))
    text = render_request(request)
    saved = request_from_document(parse_toml(text, path), path, text)  # does it load back?
    fp = _write(path, text, request.loaded, overwrite=overwrite, lock_timeout=lock_timeout)
    return replace(saved, loaded=fp)


def save_folder(folder: Folder, *, overwrite: bool = False, lock_timeout: float = LOCK_TIMEOUT_S) -> Folder:
    """Write the folder's folder.toml (name, profile, order, vars)."""
    if folder.path is None:
        raise CollectionError(f"The folder '{folder.name}' has no place on disk yet.")
    path = folder.path / FOLDER_FILE
    _refuse_literals(path, variables_literal_secrets(folder.vars))
    text = dumps(folder.to_document())
    saved = folder_from_document(parse_toml(text, path), path, folder.path, text)
    fp = _write(path, text, folder.loaded, overwrite=overwrite, lock_timeout=lock_timeout)
    return replace(saved, items=folder.items, loaded=fp)


def save_collection(
    collection: Collection, *, overwrite: bool = False, lock_timeout: float = LOCK_TIMEOUT_S
) -> Collection:
    """Write collection.toml (name, default profile, order, vars); the tree is not touched."""
    path = collection.path
    _refuse_literals(path, variables_literal_secrets(collection.vars))
    text = dumps(collection.to_document())
    saved = collection_from_document(parse_toml(text, path), collection.root, text)
    fp = _write(path, text, collection.loaded, overwrite=overwrite, lock_timeout=lock_timeout)
    return replace(saved, items=collection.items, environments=collection.environments, loaded=fp)


def save_environment(
    environment: Environment, *, overwrite: bool = False, lock_timeout: float = LOCK_TIMEOUT_S
) -> Environment:
    """Write environments/NAME.toml; secret values must be references."""
    if environment.path is None:
        raise CollectionError(f"The environment '{environment.name}' has no file yet.")
    path = environment.path
    _refuse_literals(path, variables_literal_secrets(environment.vars))
    text = dumps(environment.to_document())
    saved = environment_from_document(parse_toml(text, path), path, text)
    _mkdir(path.parent)
    fp = _write(path, text, environment.loaded, overwrite=overwrite, lock_timeout=lock_timeout)
    return replace(saved, loaded=fp)


def _mkdir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, folder, "created", CollectionStorageError) from None


def free_name(folder: Path, base: str, suffix: str = "") -> Path:
    """folder/base+suffix, or base-2, base-3, ... when taken (or reserved at a collection's top level)."""
    reserved = RESERVED_DIRS if (folder / COLLECTION_FILE).is_file() else ()
    for n in range(1, 10_000):
        stem = base if n == 1 else f"{base}-{n}"
        candidate = folder / f"{stem}{suffix}"
        if stem in reserved or stem in ("folder", "collection"):
            continue
        if not candidate.exists():
            return candidate
    raise CollectionError(f"{folder} has no free name left for '{base}': pick another name.")


def new_request(folder: Path, name: str, **fields: Any) -> SavedRequest:
    """A request that is not on disk yet, with a free file name in folder (save it with save_request)."""
    return SavedRequest(name=name.strip(), path=free_name(Path(folder), slug(name), SUFFIX), **fields)


def create_collection(
    root: Path,
    name: str,
    *,
    profile: str | None = None,
    variables: Mapping[str, str] | None = None,
    lock_timeout: float = LOCK_TIMEOUT_S,
) -> Collection:
    """A new collection folder with its collection.toml; an existing non-empty folder is refused."""
    root = Path(root)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise CollectionError(f"{root} already exists and is not empty: choose a new folder.")
    _mkdir(root)
    collection = Collection(name=name.strip(), root=root, profile=profile, vars=dict(variables or {}))
    return save_collection(collection, lock_timeout=lock_timeout)


def create_folder(parent: Path, name: str, *, lock_timeout: float = LOCK_TIMEOUT_S, **fields: Any) -> Folder:
    """A new sub-folder (with a folder.toml naming it) under a free name in parent."""
    path = free_name(Path(parent), slug(name))
    _mkdir(path)
    return save_folder(Folder(name=name.strip(), path=path, **fields), lock_timeout=lock_timeout)


def delete_request(
    request: SavedRequest, *, force: bool = False, lock_timeout: float = LOCK_TIMEOUT_S
) -> None:
    """Remove the request's file; CollectionConflict when it changed since it was loaded, unless force."""
    path = request.path
    if path is None or not path.parent.is_dir():
        return
    with folder_lock(path.parent, timeout=lock_timeout, error=CollectionStorageError):
        if not force and request.loaded is not None:
            now = _current_sha256(path)
            if now is not None and now != request.loaded.sha256:
                raise CollectionConflict(
                    f"{path} changed on disk since it was loaded: reload it before deleting it.", path=path
                )
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise storage_error(exc, path, "deleted", CollectionStorageError) from None


def delete_folder(folder: Path, *, recursive: bool = False) -> None:
    """Remove a folder of a collection (only its folder.toml unless recursive); never a collection's root."""
    folder = Path(folder)
    if (folder / COLLECTION_FILE).exists():
        raise CollectionError(
            f"{folder} is a collection, not a folder in one: remove it in your file manager."
        )
    if not folder.is_dir():
        return
    others = [p for p in folder.iterdir() if p.name != FOLDER_FILE]
    if others and not recursive:
        raise CollectionError(
            f"{folder} is not empty: delete its requests first, or delete it with everything in it."
        )
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        raise storage_error(exc, folder, "deleted", CollectionStorageError) from None


def move_request(
    request: SavedRequest, folder: Path, *, name: str | None = None, lock_timeout: float = LOCK_TIMEOUT_S
) -> SavedRequest:
    """Save the request under a free file name in folder (renamed when name is given), then remove the old
    file; the old file is checked for changes first, so nothing edited elsewhere is lost."""
    new_name = (name or request.name).strip()
    target = free_name(Path(folder), slug(new_name), SUFFIX)
    if request.path is not None and request.loaded is not None:
        now = _current_sha256(request.path)
        if now is None:  # moving it would write back what was deleted elsewhere (a git pull)
            raise CollectionConflict(
                f"{request.path} was deleted on disk since it was loaded: reload the collection.",
                path=request.path,
            )
        if now != request.loaded.sha256:
            raise CollectionConflict(
                f"{request.path} changed on disk since it was loaded: reload it before moving it.",
                path=request.path,
            )
    moved = save_request(replace(request, name=new_name, path=target, loaded=None), lock_timeout=lock_timeout)
    if request.path is not None:
        delete_request(request, force=True, lock_timeout=lock_timeout)
    return moved


def rename_request(request: SavedRequest, name: str, *, lock_timeout: float = LOCK_TIMEOUT_S) -> SavedRequest:
    """A new display name, and the file renamed to match when its current name no longer does."""
    if request.path is None:
        return replace(request, name=name.strip())
    if slug(name) == request.stem:
        return save_request(replace(request, name=name.strip()), lock_timeout=lock_timeout)
    return move_request(request, request.path.parent, name=name, lock_timeout=lock_timeout)


def duplicate_request(
    request: SavedRequest,
    folder: Path | None = None,
    *,
    name: str | None = None,
    lock_timeout: float = LOCK_TIMEOUT_S,
) -> SavedRequest:
    """A copy (unknown keys included) under a free file name; '(copy)' added in the same folder."""
    if folder is None:
        if request.path is None:
            raise CollectionError(f"The request '{request.name}' has no folder yet.")
        folder = request.path.parent
    same = request.path is not None and Path(folder) == request.path.parent
    new_name = name or (f"{request.name} (copy)" if same else request.name)
    target = free_name(Path(folder), slug(new_name), SUFFIX)
    return save_request(replace(request, name=new_name, path=target, loaded=None), lock_timeout=lock_timeout)


# --- watching ----------------------------------------------------------------------------------------------

Snapshot = dict[Path, tuple[int, int]]


def snapshot(root: Path) -> Snapshot:
    """(mtime_ns, size) of every TOML file of a collection, for a poll that notices a git pull."""
    out: Snapshot = {}
    stack: list[tuple[Path, int]] = [(Path(root), 0)]
    while stack and len(out) <= MAX_FILES:
        folder, depth = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or is_temp_for(entry.name):
                continue
            try:
                if entry.is_dir():
                    if depth < MAX_DEPTH:
                        stack.append((Path(entry.path), depth + 1))
                    continue
                if not entry.name.endswith(SUFFIX):
                    continue
                st = entry.stat()
            except OSError:
                continue
            out[Path(entry.path)] = (st.st_mtime_ns, st.st_size)
    return out


# --- which collections the app sees ------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A folder of collections (or one collection) the app looks in."""

    path: Path
    kind: str  # personal | team


@dataclass(frozen=True)
class CollectionRef:
    """A collection found on disk, read no further than its collection.toml (cheap: for a first paint)."""

    root: Path
    name: str
    source: Source
    problem: Problem | None = None


def collection_sources(
    personal: Path,
    environ: Mapping[str, str] | None = None,
    cli_dirs: Iterable[str | Path] = (),
    window_dirs: Iterable[str | Path] = (),
) -> list[Source]:
    """The personal folder, then INSPECTOR_COLLECTIONS (os.pathsep-separated), --collections-dir, window."""
    env = os.environ if environ is None else environ
    raw = [p for p in env.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    out = [Source(Path(personal), "personal")]
    seen = {_key(Path(personal))}
    for item in [*raw, *cli_dirs, *window_dirs]:
        path = Path(item).expanduser()
        if _key(path) not in seen:
            seen.add(_key(path))
            out.append(Source(path, "team"))
    return out


def discover(
    sources: Iterable[Source], is_cancelled: Callable[[], bool] | None = None
) -> list[CollectionRef]:
    """The collections in each source: the source itself when it is one, else its sub-folders that are."""
    out: list[CollectionRef] = []
    seen: set[str] = set()
    for source in sources:
        if is_cancelled is not None and is_cancelled():
            break
        if (source.path / COLLECTION_FILE).is_file():
            candidates = [source.path]
        else:
            try:
                candidates = sorted(
                    p
                    for p in source.path.iterdir()
                    if not p.name.startswith(".") and (p / COLLECTION_FILE).is_file()
                )
            except OSError:
                continue
        for root in candidates:
            if _key(root) in seen:
                continue
            seen.add(_key(root))
            try:
                meta = read_collection_meta(root)
                out.append(CollectionRef(root, meta.name, source))
            except CollectionFileError as exc:
                out.append(CollectionRef(root, root.name, source, _problem(exc)))
    return out


def _key(path: Path) -> str:
    try:
        return os.path.normcase(str(path.expanduser().resolve()))
    except (OSError, ValueError, RuntimeError):
        return os.path.normcase(str(path))
