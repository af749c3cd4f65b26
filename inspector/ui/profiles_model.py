"""The window's copy of the profile folders: loads them, knows each profile's status, reloads on change.

Embedding API (one per window, shared by the picker and the dialog):

    model = ProfilesModel(store, secrets, env=None, poll_interval_ms=1500, parent=None)
        store:   inspector.core.profiles.ProfileStore (personal folder + team folders)
        secrets: the SecretStore behind ${secret:KEY} (default_secret_store(data_dir)), or None
        env:     the environment ${env:NAME} is looked up in (None: os.environ)
    model.profiles_changed            Signal(): after every (re)load; read the attributes below
    model.profiles -> list[Profile]   loaded profiles, personal folder first
    model.problems -> list[Problem]   files that did not load (and missing team folders)
    model.statuses -> dict[str, ProfileStatus]   identity -> ready / secret missing / broken
    model.reload()                    read every folder now
    model.poll() -> bool              reload when a profile file was added, removed or changed
    model.start_watching() / stop_watching()   poll on a QTimer (the store itself never watches)
    model.set_team_dirs(dirs)         a new store with these team folders, then reload
    model.check() -> list[Problem]    everything `profiles check` reports, missing secrets included

Nothing here opens a dialog; statuses never hold a secret value (only references and file problems).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
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
from inspector.core.profiles.store import Snapshot, profile_problems
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
    if isinstance(secrets, FileSecretStore):
        return f"No OS keyring: secrets are kept in a 0600 file at {secrets.path}."
    return f"Secrets you type are kept in {secrets.backend_name()}."


class ProfilesModel(QObject):
    """Owns the ProfileStore for the window; reloads when the folders change on disk."""

    profiles_changed = Signal()

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
        self._seen: Snapshot = {}
        self._timer = QTimer(self)
        self._timer.setInterval(poll_interval_ms)
        self._timer.timeout.connect(self.poll)
        self.reload()

    @property
    def folders(self) -> list[tuple[Path, str]]:
        """(path, 'personal' | 'team') for every folder, personal first."""
        return [(f.path, f.kind) for f in self.store.folders]

    def reload(self) -> None:
        """Read every folder now (loading never writes) and tell the listeners."""
        # Snapshot first: a change made while loading shows up at the next poll instead of being lost.
        self._seen = snapshot(p for p, _ in self.folders)
        self.profiles, self.problems = self.store.load_all()
        self.statuses = profile_statuses(self.profiles, self.problems, self.resolver, self.store)
        self.profiles_changed.emit()

    def poll(self) -> bool:
        """Reload when a profile file was added, removed or changed since the last load; True when it did."""
        now = snapshot(p for p, _ in self.folders)
        if not changed(self._seen, now):
            return False
        self.reload()
        return True

    def start_watching(self) -> None:
        self._timer.start()

    def stop_watching(self) -> None:
        self._timer.stop()

    def set_team_dirs(self, dirs: Sequence[Path]) -> None:
        """Use these team folders from now on (the personal folder stays) and reload."""
        self.store = ProfileStore(self.store.personal_dir, [Path(d) for d in dirs])
        self.reload()

    def check(self) -> list[Problem]:
        """Every problem in every folder: broken files, literal secrets in team folders, missing secrets."""
        loaded = self.store.load_all()
        return self.store.check(self.resolver, loaded)

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
