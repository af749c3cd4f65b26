"""The collections the window sees, loaded off the UI thread and kept in step with the disk.

    model = CollectionsModel(sources)          # core.collections.store.Source: personal, team, window folders
    model.start()                              # discover, then load every collection on workers
    model.collections_changed                  Signal(): the list of collections (refs) changed
    model.collection_loaded                    Signal(Path): a collection was (re)loaded
    model.environment_changed                  Signal(Path): the environment chosen for a collection changed

Loading never happens on the UI thread: `start()` and every reload run as jobs (ui/jobs.py, one slot per
collection, so a newer load supersedes an older one), and a poll (also a job) compares file snapshots to
notice a `git pull`, a new collection folder or a deleted one. Changes made here (save, rename, duplicate,
move, delete, new folder) go through core.collections.store (atomic writes, conflicts, literal secrets
refused) on the UI thread, since each is one small file; a saved request is put over its old self in memory,
and the others read the collection again on a worker (collection_loaded tells when the change shows).

A deleted request or folder can be brought back with undo(): its files' bytes are kept in memory until then.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from inspector.core.collections.model import (
    Collection,
    CollectionError,
    Environment,
    Folder,
    Item,
    SavedRequest,
    walk,
)
from inspector.core.collections.store import (
    CollectionRef,
    LoadResult,
    Problem,
    Snapshot,
    Source,
    create_folder,
    delete_folder,
    delete_request,
    discover,
    duplicate_request,
    load_collection,
    move_request,
    rename_request,
    save_request,
    snapshot,
)
from inspector.ui.jobs import Job, JobRunner

__all__ = ["CollectionsModel", "Deleted", "Located", "path_key"]

POLL_MS = 2000
STOP_WAIT_S = 2.0


def path_key(path: Path | str) -> str:
    """One spelling of a path, for comparing folders and files named in different ways."""
    try:
        return os.path.normcase(os.path.realpath(os.path.expanduser(str(path))))
    except (OSError, ValueError):
        return os.path.normcase(str(path))


@dataclass(frozen=True)
class Located:
    """A saved request found in a loaded collection: the collection, the folders above it, the request."""

    collection: Collection
    parents: tuple[Folder, ...]
    request: SavedRequest


@dataclass(frozen=True)
class Deleted:
    """What a delete removed, to put it back: every file's bytes, and what it was, in words."""

    root: Path
    what: str
    files: tuple[tuple[Path, bytes], ...]
    folders: tuple[Path, ...] = ()


@dataclass
class _Loaded:
    result: LoadResult
    seen: Snapshot
    index: dict[str, tuple[tuple[Folder, ...], SavedRequest]] = field(default_factory=dict)


_Polled = tuple[list[Path], list[CollectionRef] | None]  # collections changed on disk, new refs (or None)


def _with_request(items: tuple[Item, ...], key: str, request: SavedRequest) -> tuple[Item, ...]:
    """The tree with the request whose path has this key replaced by `request` (the folders above it copied)."""
    out: list[Item] = []
    for item in items:
        if isinstance(item, SavedRequest) and item.path is not None and path_key(item.path) == key:
            item = request
        elif isinstance(item, Folder):
            inner = _with_request(item.items, key, request)
            if any(new is not old for new, old in zip(inner, item.items, strict=True)):
                item = replace(item, items=inner)
        out.append(item)
    return tuple(out)


def _load(root: Path) -> tuple[LoadResult, Snapshot]:
    seen = snapshot(root)  # first: a change made while loading shows up at the next poll, not lost
    return load_collection(root), seen


class CollectionsModel(QObject):
    """Every collection the window sees; see the module text."""

    collections_changed = Signal()
    collection_loaded = Signal(object)  # Path: the collection's root
    environment_changed = Signal(object)  # Path: the collection's root
    load_failed = Signal(object, str)  # Path, the sentence

    def __init__(
        self,
        sources: Sequence[Source],
        parent: QObject | None = None,
        *,
        poll_ms: int = POLL_MS,
        read_only: Iterable[Path] = (),
    ) -> None:
        super().__init__(parent)
        self.sources = list(sources)
        self.refs: list[CollectionRef] = []
        self.discovered = False
        self._loaded: dict[str, _Loaded] = {}
        self._env_choice: dict[str, str | None] = {}
        self._env_patches: dict[str, dict[str, dict[str, str]]] = {}
        self._read_only = {path_key(p) for p in read_only}
        self.undo_stack: list[Deleted] = []
        self.jobs = JobRunner(self, name="CollectionsModel", stop_wait_s=STOP_WAIT_S)
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._poll)

    # -- discovering and loading ---------------------------------------------------------------------------
    def start(self, *, watch: bool = True) -> None:
        """Find the collections and load each one on workers; poll for changes when watch is set."""
        self.refresh()
        if watch:
            self._timer.start()

    def stop(self) -> None:
        """Stop polling and wait (bounded) for the workers; their late results are dropped."""
        self._timer.stop()
        self.jobs.stop(STOP_WAIT_S)

    def refresh(self) -> None:
        """Look for collections again in every source (a worker), then load the new ones."""
        sources = list(self.sources)
        self.jobs.start("discover", lambda job: discover(sources, job.cancel.is_set),
                        on_done=self._on_discovered, queue=True)

    def add_source(self, path: Path, kind: str = "team") -> bool:
        """One more folder of collections (or one collection) to look in; False when it is there already."""
        if any(path_key(s.path) == path_key(path) for s in self.sources):
            return False
        self.sources.append(Source(Path(path), kind))
        self.refresh()
        return True

    def _on_discovered(self, refs: list[CollectionRef]) -> None:
        before = [(path_key(r.root), r.name, r.problem) for r in self.refs]
        self.refs = refs
        self.discovered = True
        keys = {path_key(r.root) for r in refs}
        for key in [k for k in self._loaded if k not in keys]:
            del self._loaded[key]  # a collection folder that went away
        if [(path_key(r.root), r.name, r.problem) for r in refs] != before:
            self.collections_changed.emit()
        for ref in refs:
            key = path_key(ref.root)
            if key not in self._loaded and not self.jobs.busy(f"load:{key}"):
                self.load(ref.root)

    def load(self, root: Path) -> None:
        """(Re)load one collection on a worker; collection_loaded(root) when it is applied."""
        root = Path(root)
        key = path_key(root)
        self.jobs.start(f"load:{key}", lambda _job: _load(root),
                        on_done=lambda loaded: self._apply(root, *loaded),
                        on_failed=lambda exc: self.load_failed.emit(root, str(exc)))

    def load_now(self, root: Path) -> None:
        """Load on this thread (tests, a collection just written by the user): applied before returning."""
        self.jobs.cancel(f"load:{path_key(root)}")
        self._apply(Path(root), *_load(Path(root)))

    def _apply(self, root: Path, result: LoadResult, seen: Snapshot) -> None:
        key = path_key(root)
        collection = self._patched(key, result.collection)
        loaded = _Loaded(LoadResult(collection, result.problems), seen)
        for parents, item in walk(collection.items):
            if isinstance(item, SavedRequest) and item.path is not None:
                loaded.index[path_key(item.path)] = (parents, item)
        self._loaded[key] = loaded
        if not any(path_key(r.root) == key for r in self.refs):
            # loaded before discovery saw it (a collection just created): show it now
            source = next((s for s in self.sources if path_key(s.path) in (key, path_key(root.parent))),
                          Source(root.parent, "team"))
            self.refs.append(CollectionRef(root, collection.name, source))
            self.collections_changed.emit()
        if key not in self._env_choice:
            # first load: the only environment is the obvious choice; more than one, the user picks
            if len(collection.environments) == 1:
                self._env_choice[key] = collection.environments[0].name
        self.collection_loaded.emit(root)

    def _poll(self) -> None:
        if self.jobs.busy("poll"):
            return
        roots = {key: (Path(ref.root), self._loaded[key].seen) for ref in self.refs
                 if (key := path_key(ref.root)) in self._loaded}
        sources = list(self.sources)
        known = sorted(path_key(r.root) for r in self.refs)

        def poll(job: Job[_Polled]) -> _Polled:
            changed = [root for root, seen in roots.values()
                       if not job.cancel.is_set() and snapshot(root) != seen]
            refs = discover(sources, job.cancel.is_set)
            return changed, (refs if sorted(path_key(r.root) for r in refs) != known else None)

        self.jobs.start("poll", poll, on_done=self._on_polled)

    def _on_polled(self, found: _Polled) -> None:
        changed, refs = found
        for root in changed:
            self.load(root)
        if refs is not None:
            self._on_discovered(refs)

    # -- reading ------------------------------------------------------------------------------------------
    def roots(self) -> list[Path]:
        return [Path(r.root) for r in self.refs]

    def ref(self, root: Path) -> CollectionRef | None:
        key = path_key(root)
        return next((r for r in self.refs if path_key(r.root) == key), None)

    def is_loaded(self, root: Path) -> bool:
        return path_key(root) in self._loaded

    def collection(self, root: Path) -> Collection | None:
        loaded = self._loaded.get(path_key(root))
        return loaded.result.collection if loaded is not None else None

    def problems(self, root: Path) -> list[Problem]:
        loaded = self._loaded.get(path_key(root))
        return list(loaded.result.problems) if loaded is not None else []

    def root_of(self, path: Path) -> Path | None:
        """The root of the collection (one the window sees) holding path."""
        key = path_key(path)
        best: Path | None = None
        for ref in self.refs:
            rk = path_key(ref.root)
            if (key == rk or key.startswith(rk + os.sep)) and (best is None or len(rk) > len(path_key(best))):
                best = Path(ref.root)
        return best

    def find(self, path: Path) -> Located | None:
        """The saved request whose file is path, with its collection and folders; None when not loaded."""
        root = self.root_of(path)
        if root is None:
            return None
        loaded = self._loaded.get(path_key(root))
        if loaded is None:
            return None
        found = loaded.index.get(path_key(path))
        if found is None:
            return None
        return Located(loaded.result.collection, found[0], found[1])

    def parents_for(self, root: Path, folder: Path) -> tuple[Folder, ...]:
        """The folders from the collection's top down to folder (a request that is not saved yet is in it)."""
        collection = self.collection(root)
        if collection is None:
            return ()
        wanted = path_key(folder)
        if wanted == path_key(root):
            return ()
        for parents, item in walk(collection.items):
            if isinstance(item, Folder) and item.path is not None and path_key(item.path) == wanted:
                return (*parents, item)
        return ()

    def folder(self, path: Path) -> Folder | None:
        root = self.root_of(path)
        parents = self.parents_for(root, path) if root is not None else ()
        return parents[-1] if parents else None

    def is_read_only(self, root: Path) -> bool:
        """A collection the app ships (the demo): opened and sent, never written to."""
        return path_key(root) in self._read_only

    # -- environments -------------------------------------------------------------------------------------
    def environment_name(self, root: Path) -> str | None:
        """The environment chosen for the collection (None: no environment)."""
        return self._env_choice.get(path_key(root)) or None

    def environment(self, root: Path) -> Environment | None:
        name = self.environment_name(root)
        collection = self.collection(root)
        if not name or collection is None:
            return None
        try:
            return collection.environment(name)
        except CollectionError:
            return None  # chosen before, gone since (a git pull removed it)

    def set_environment(self, root: Path, name: str | None) -> None:
        key = path_key(root)
        if self._env_choice.get(key, None) == (name or None) and key in self._env_choice:
            return
        self._env_choice[key] = name or None
        self.environment_changed.emit(Path(root))

    def environment_choices(self) -> dict[str, str | None]:
        """{root: environment or None} for the window's settings."""
        return {r: n for r, n in self._env_choice.items()}

    def restore_environment_choices(self, choices: Mapping[str, Any]) -> None:
        for root, name in choices.items():
            if isinstance(root, str) and (name is None or isinstance(name, str)):
                self._env_choice[path_key(root)] = name or None

    def patch_environment(self, root: Path, name: str, variables: Mapping[str, str]) -> None:
        """Variables that replace an environment's own for this run only (the demo's base_url is the address
        of the demo API this window started); never written to the file."""
        key = path_key(root)
        self._env_patches.setdefault(key, {})[name] = dict(variables)
        loaded = self._loaded.get(key)
        if loaded is not None:
            self._apply(Path(root), loaded.result, loaded.seen)

    def _patched(self, key: str, collection: Collection) -> Collection:
        patches = self._env_patches.get(key)
        if not patches:
            return collection
        environments = list(collection.environments)
        for name, variables in patches.items():
            for i, env in enumerate(environments):
                if env.name == name or env.stem == name:
                    environments[i] = replace(env, vars=MappingProxyType({**env.vars, **variables}))
                    break
            else:
                environments.append(Environment(name, MappingProxyType(dict(variables))))
        return replace(collection, environments=tuple(environments))

    # -- changing ------------------------------------------------------------------------------------------
    def _refuse_read_only(self, path: Path) -> None:
        root = self.root_of(path)
        if root is not None and self.is_read_only(root):
            raise CollectionError(
                f"The collection '{self._name(root)}' comes with the app and is not changed: use Save as… "
                "to keep your own copy in one of your collections."
            )

    def _name(self, root: Path) -> str:
        ref = self.ref(root)
        return ref.name if ref is not None else Path(root).name

    def _reload_for(self, path: Path) -> None:
        """Read the collection holding path again, on a worker (parsing 300 requests takes the UI thread some
        50 ms): collection_loaded tells when the change shows."""
        root = self.root_of(path)
        if root is not None:
            self.load(root)

    def save(self, saved: SavedRequest, *, overwrite: bool = False) -> SavedRequest:
        """Write a request file (CollectionConflict when it changed on disk; CollectionError: a literal
        secret, a read-only collection); the model has it at once, or, for a new file, once its collection has
        been read again (collection_loaded)."""
        if saved.path is None:
            raise CollectionError(f"The request '{saved.name}' has no file yet: choose where to save it.")
        self._refuse_read_only(saved.path)
        written = save_request(saved, overwrite=overwrite)
        if not self._put_saved(written):
            self._reload_for(saved.path)
        return written

    def _put_saved(self, written: SavedRequest) -> bool:
        """Put a request just written over its old self in its loaded collection, in memory: one saved file
        does not make the UI thread parse the whole collection again (some 50 ms for 300 requests). The next
        poll reads the folder on a worker as usual. False when its place is not known (a new file)."""
        if written.path is None:
            return False
        root = self.root_of(written.path)
        loaded = self._loaded.get(path_key(root)) if root is not None else None
        wanted = path_key(written.path)
        if root is None or loaded is None or wanted not in loaded.index or self.jobs.busy(f"load:{path_key(root)}"):
            return False  # (a reading under way is of the collection after an earlier change: it goes again)
        items = _with_request(loaded.result.collection.items, wanted, written)
        collection = replace(loaded.result.collection, items=items)
        self._apply(root, LoadResult(collection, loaded.result.problems), loaded.seen)
        return True

    def new_folder(self, parent: Path, name: str) -> Folder:
        self._refuse_read_only(parent)
        folder = create_folder(parent, name)
        self._reload_for(parent)
        return folder

    def rename(self, path: Path, name: str) -> SavedRequest | Folder:
        """A request's or folder's display name (a request's file follows its name)."""
        self._refuse_read_only(path)
        located = self._find_current(path)
        if located is not None:
            renamed: SavedRequest | Folder = rename_request(located.request, name)
        else:
            folder = self.folder(path)
            if folder is None:
                raise CollectionError(f"{path} is not a request or folder of an open collection.")
            from inspector.core.collections.store import save_folder

            renamed = save_folder(replace(folder, name=name.strip()))
        self._reload_for(path)
        return renamed

    def duplicate(self, path: Path) -> SavedRequest:
        self._refuse_read_only(path)
        located = self._located(path)
        copy = duplicate_request(located.request)
        self._reload_for(path)
        return copy

    def move(self, path: Path, folder: Path) -> SavedRequest:
        """Move a request into another folder of the same or another collection (dragged in the tree)."""
        self._refuse_read_only(path)
        self._refuse_read_only(folder)
        located = self._located(path)
        if path_key(Path(path).parent) == path_key(folder):
            return located.request
        moved = move_request(located.request, folder)
        for root in {self.root_of(path), self.root_of(folder)}:
            if root is not None:
                self.load(root)
        return moved

    def delete(self, path: Path) -> Deleted:
        """Delete a request file or a folder with everything in it; undo() puts it back."""
        path = Path(path)
        self._refuse_read_only(path)
        root = self.root_of(path)
        if root is None:
            raise CollectionError(f"{path} is not in an open collection.")
        located = self._find_current(path)
        if located is not None:
            data = _read_bytes(path)
            delete_request(located.request)
            deleted = Deleted(root, f"the request '{located.request.name}'", ((path, data),))
        else:
            if path_key(path) == path_key(root):
                raise CollectionError(
                    f"{path} is a whole collection: remove its folder in your file manager instead.")
            files, folders = _tree_bytes(path)
            folder = self.folder(path)
            delete_folder(path, recursive=True)
            deleted = Deleted(root, f"the folder '{folder.name if folder else path.name}'", files, folders)
        self.undo_stack.append(deleted)
        del self.undo_stack[:-20]  # the last twenty deletes can be undone
        self.load(root)
        return deleted

    def undo(self) -> Deleted | None:
        """Put back what the last delete removed (files that exist again meanwhile are left alone)."""
        if not self.undo_stack:
            return None
        deleted = self.undo_stack.pop()
        for folder in deleted.folders:
            folder.mkdir(parents=True, exist_ok=True)
        for path, data in deleted.files:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                path.write_bytes(data)
        self.load(deleted.root)
        return deleted

    def _find_current(self, path: Path) -> Located | None:
        """find(path), refused when its file is gone: until a change's re-reading lands the model still knows
        a request renamed, moved or deleted a moment ago, and acting on it would write it back."""
        located = self.find(path)
        file = located.request.path if located is not None else None
        if file is not None and not file.exists():
            raise CollectionError(f"{file} was moved or deleted: the collection is being read again, try once "
                                  "it shows.")
        return located

    def _located(self, path: Path) -> Located:
        located = self._find_current(path)
        if located is None:
            raise CollectionError(
                f"{path} is not a request of an open collection (was it moved or deleted?).")
        return located


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CollectionError(f"{path} cannot be read ({exc.strerror or exc}): it was not deleted.") from None


def _tree_bytes(folder: Path) -> tuple[tuple[tuple[Path, bytes], ...], tuple[Path, ...]]:
    files: list[tuple[Path, bytes]] = []
    folders: list[Path] = [folder]
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        folders += [Path(dirpath) / d for d in dirnames]
        for name in filenames:
            path = Path(dirpath) / name
            data = _read_bytes(path)
            total += len(data)
            if total > 64 * 1024 * 1024:
                raise CollectionError(f"{folder} holds more than 64 MB: delete it in your file manager.")
            files.append((path, data))
    return tuple(files), tuple(folders)
