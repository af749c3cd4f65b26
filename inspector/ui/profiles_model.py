"""The window's copy of the profile folders: loads them, knows each profile's status, reloads on change.

Loading and polling run on a worker thread: reading folders (maybe on a network drive) and asking the OS
keyring (D-Bus, an unlock prompt) must never block the window. Results come back through a queued signal
and are applied on the UI thread.

Embedding API (one per window, shared by the picker and the dialog):

    model = ProfilesModel(store, secrets, env=None, poll_interval_ms=1500, parent=None)
        store:   inspector.core.profiles.ProfileStore (personal folder + team folders)
        secrets: the SecretStore behind ${secret:KEY} (default_secret_store(data_dir)), or None
        env:     the environment ${env:NAME} is looked up in (None: os.environ)
        The first load starts at once on the worker; `loaded` turns True and profiles_changed fires when done.
    model.profiles_changed            Signal(): after every applied (re)load; read the attributes below
    model.check_finished              Signal(list[Problem]): the answer to request_check()
    model.load_failed                 Signal(str): a reading on the worker failed (the sentence, also load_error)
    model.profiles -> list[Profile]   loaded profiles, personal folder first
    model.problems -> list[Problem]   files that did not load (and missing team folders)
    model.statuses -> dict[str, ProfileStatus]   identity -> ready / secret missing / broken
    model.loaded -> bool              whether a load has been applied yet
    model.load_error -> str | None    why the last worker load failed (None when it did not)
    model.reload()                    read every folder on the worker (a request while one runs: once more after)
    model.reload_now()                read every folder now, on the calling thread (small local changes, tests)
    model.poll() -> bool              reload now when a profile file was added, removed or changed
    model.start_watching() / stop_watching()   poll on a QTimer, the comparison on the worker; stop waits
                                      (bounded) for a running worker
    model.set_team_dirs(dirs)         a new store with these team folders, then reload()
    model.check() -> list[Problem]    everything `profiles check` reports, missing secrets included (blocking)
    model.request_check()             the same on the worker; answered by check_finished

Nothing here opens a dialog; statuses never hold a secret value (only references and file problems).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from inspector.core.profiles import (
    FileSecretStore,
    Problem,
    Profile,
    ProfileStore,
    Resolver,
    SecretStore,
    changed,
    snapshot,
)
from inspector.core.profiles.secrets import DeferredSecretStore
from inspector.core.profiles.store import LoadResult, Snapshot, profile_problems
from inspector.ui.jobs import Job, JobRunner
from inspector.ui.profile_status import BROKEN, READY, SECRET_MISSING, ProfileStatus, identity_of


def profile_statuses(
    profiles: Iterable[Profile],
    problems: Iterable[Problem],
    resolver: Resolver | None,
    store: ProfileStore | None = None,
) -> dict[str, ProfileStatus]:
    """identity -> status for every loaded profile and every broken file (missing folders are skipped)."""
    out: dict[str, ProfileStatus] = {}
    for p in profiles:
        found = profile_problems(p, resolver)
        missing = [x for x in found if x.code == "missing-secret"]
        if missing:
            detail = " ".join(x.message for x in missing)
            out[p.identity] = ProfileStatus(SECRET_MISSING, detail, p.path, folder_kind=p.folder_kind)
        else:
            literal = " ".join(x.message for x in found if x.code == "literal-secret")
            out[p.identity] = ProfileStatus(READY, literal, p.path, folder_kind=p.folder_kind)
    for problem in problems:
        if problem.code == "missing-folder":
            continue
        kind = (store.folder_kind(problem.path.parent) if store is not None else None) or ""
        out[identity_of(problem.path)] = ProfileStatus(
            BROKEN, problem.message, problem.path, problem.line, folder_kind=kind
        )
    return out


def backend_sentence(secrets: SecretStore | None) -> str:
    """Which secret store typed secrets go to, in one sentence for the dialog."""
    if secrets is None:
        return "No secret store is available: use ${env:NAME} or ${prompt} for secrets."
    if isinstance(secrets, DeferredSecretStore):  # the window's: chosen when first needed
        secrets = secrets.resolved()
    if isinstance(secrets, FileSecretStore):
        return f"No OS keyring: secrets are kept in a 0600 file at {secrets.path}."
    return f"Secrets you type are kept in {secrets.backend_name()}."


@dataclass(frozen=True)
class Loaded:
    """One load of every folder, computed on the worker and applied on the UI thread."""

    profiles: list[Profile]
    problems: list[Problem]
    statuses: dict[str, ProfileStatus]
    seen: Snapshot


def load_folders(store: ProfileStore, resolver: Resolver | None) -> Loaded:
    """Read every folder of store and compute the statuses (blocking: folders and the keyring)."""
    # Snapshot first: a change made while loading shows up at the next poll instead of being lost.
    seen = snapshot(f.path for f in store.folders)
    profiles, problems = store.load_all()
    return Loaded(profiles, problems, profile_statuses(profiles, problems, resolver, store), seen)


#: how long stop_watching() waits for a running worker; a hung keyring must not hang the window's close
STOP_WAIT_S = 2.0


class ProfilesModel(QObject):
    """Owns the ProfileStore for the window; reloads when the folders change on disk."""

    profiles_changed = Signal()
    check_finished = Signal(list)
    load_failed = Signal(str)  # a reading of the folders failed: the sentence (also kept in load_error)

    def __init__(
        self,
        store: ProfileStore,
        secrets: SecretStore | None,
        *,
        env: Mapping[str, str] | None = None,
        poll_interval_ms: int = 1500,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.secrets = secrets
        self.resolver = Resolver(secrets, env=env)  # no prompt: statuses never ask anyone
        self.profiles: list[Profile] = []
        self.problems: list[Problem] = []
        self.statuses: dict[str, ProfileStatus] = {}
        self.loaded = False
        self.load_error: str | None = None
        self._seen: Snapshot = {}
        # Loads and polls run in the "load" slot, checks in the "check" slot, queued: a request while one runs
        # makes one more run after it (never a pile of threads waiting on a keyring), and the running one's
        # result is dropped as stale (jobs.py's rule). stop_watching() waits at most STOP_WAIT_S for them.
        self.jobs = JobRunner(self, name="ProfilesModel", stop_wait_s=STOP_WAIT_S)
        self._timer = QTimer(self)
        self._timer.setInterval(poll_interval_ms)
        self._timer.timeout.connect(self._poll_in_worker)
        self.reload()

    @property
    def folders(self) -> list[tuple[Path, str]]:
        """(path, 'personal' | 'team') for every folder, personal first."""
        return [(f.path, f.kind) for f in self.store.folders]

    # -- worker --------------------------------------------------------------------------------------------
    def _start_load(self, kind: str) -> None:
        store, resolver, seen = self.store, self.resolver, self._seen

        def load(_job: Job[Loaded | None]) -> Loaded | None:
            if kind == "poll" and not changed(seen, snapshot(f.path for f in store.folders)):
                return None
            return load_folders(store, resolver)

        self.jobs.start("load", load, on_done=self._on_loaded, on_failed=self._on_load_failed, queue=True)

    def _on_loaded(self, loaded: Loaded | None) -> None:
        if loaded is not None:  # None: a poll that found nothing new
            self._apply(loaded)

    def _on_load_failed(self, error: BaseException) -> None:
        self.load_error = f"The profile folders could not be read: {error}"
        self.load_failed.emit(self.load_error)

    def _apply(self, loaded: Loaded) -> None:
        self._seen = loaded.seen
        self.profiles, self.problems, self.statuses = loaded.profiles, loaded.problems, loaded.statuses
        self.loaded = True
        self.load_error = None
        self.profiles_changed.emit()

    # -- loading -------------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read every folder on the worker (loading never writes); profiles_changed tells when it is done."""
        self._start_load("load")

    def reload_now(self) -> None:
        """Read every folder on this thread and tell the listeners (a worker result still running is dropped)."""
        self.adopt(load_folders(self.store, self.resolver))

    def adopt(self, loaded: Loaded) -> None:
        """Take folders read on another job (load_folders, after a save) as this model's own reading and tell
        the listeners; a load still running is dropped, as it began before them."""
        self.jobs.cancel("load")
        self._apply(loaded)

    def poll(self) -> bool:
        """Reload now when a profile file was added, removed or changed since the last load; True when it did."""
        now = snapshot(p for p, _ in self.folders)
        if not changed(self._seen, now):
            return False
        self.reload_now()
        return True

    def _poll_in_worker(self) -> None:
        if not self.jobs.busy("load"):  # a running load takes its own snapshot
            self._start_load("poll")

    def start_watching(self) -> None:
        self._timer.start()

    def stop_watching(self) -> None:
        """Stop polling and wait (at most STOP_WAIT_S) for a running worker; its late result is dropped."""
        self._timer.stop()
        self.jobs.cancel("load")
        self.jobs.join(STOP_WAIT_S)

    def set_team_dirs(self, dirs: Sequence[Path]) -> None:
        """Use these team folders from now on (the personal folder stays) and reload."""
        self.store = ProfileStore(self.store.personal_dir, [Path(d) for d in dirs])
        self.reload()

    def check(self) -> list[Problem]:
        """Every problem in every folder: broken files, literal secrets in team folders, missing secrets."""
        loaded = self.store.load_all()
        return self.store.check(self.resolver, loaded)

    def request_check(self) -> None:
        """check() on the worker, also refreshing the profiles; the answer comes with check_finished."""
        store, resolver = self.store, self.resolver
        load_generation = self.jobs.generation("load")

        def check(_job: Job[tuple[Loaded, list[Problem]]]) -> tuple[Loaded, list[Problem]]:
            loaded = load_folders(store, resolver)
            return loaded, store.check(resolver, LoadResult(loaded.profiles, loaded.problems))

        def done(result: tuple[Loaded, list[Problem]]) -> None:
            loaded, problems = result
            # the check read the folders too: apply that unless a reload was asked for since it started
            if self.jobs.is_current("load", load_generation) and changed(self._seen, loaded.seen):
                self._apply(loaded)
            self.check_finished.emit(problems)

        def failed(error: BaseException) -> None:
            message = f"The check could not read the profile folders: {error}"
            self.check_finished.emit([Problem("unreadable", message, self.store.personal_dir)])

        self.jobs.start("check", check, on_done=done, on_failed=failed, queue=True)

    def profile(self, identity: str) -> Profile | None:
        for p in self.profiles:
            if p.identity == identity:
                return p
        return None

    def status(self, identity: str) -> ProfileStatus:
        return self.statuses.get(identity, ProfileStatus(READY))


def same_path(a: Path, b: Path) -> bool:
    """Whether two spellings name the same folder."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))
