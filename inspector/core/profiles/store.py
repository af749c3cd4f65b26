"""ProfileStore: profile folders on disk. Atomic saves, conflict detection, problems reported, never rewritten
by loading. Folder watching is a pure poll (snapshot / changed) that the window drives with its own timer.

A save reads the file, compares its content hash with what the editor loaded and writes, all under the
folder's cross-process lock (core/files.py): two processes saving at once either both land in turn or one
gets a ProfileConflict; no edit is lost silently. Personal files are 0600 in folders created 0700; a file in
a team folder keeps its mode (it is shared through git).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from inspector.core.errors import ProfileError, ProfileStorageError
from inspector.core.files import (
    LOCK_TIMEOUT_S,
    PRIVATE_FILE,
    check_unchanged,
    clean_stale_temps,
    ensure_private_dir,
    folder_lock,
    read_small_text,
    storage_error,
    write_keeping_mode,
)
from inspector.core.profiles.model import (
    SUFFIX,
    Fingerprint,
    Profile,
    ProfileFileError,
    parse_profile,
    profile_from_document,
    slug,
)
from inspector.core.profiles.secrets import Resolver, SecretStore, parse_reference

ENV_VAR = "INSPECTOR_PROFILES"
# A profile is a few hundred bytes (long notes allowed); a bigger file is the wrong file or garbage, and is
# not read into memory whole.
MAX_PROFILE_BYTES = 8 * 1024 * 1024


class ProfileConflict(ProfileError):
    """The file changed on disk since the profile was loaded; the caller offers reload or overwrite."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message)
        self.path = path


@dataclass(frozen=True)
class Problem:
    """Something `profiles check` reports; message is a full sentence naming the file (and line if known)."""

    code: str  # broken-file | unreadable | newer-format | unknown-kind | missing-field | bad-field |
    #            missing-secret | literal-secret | missing-folder
    message: str
    path: Path
    line: int | None = None
    field: str | None = None
    profile: str | None = None  # the profile's name when the file could be read


class LoadResult(NamedTuple):
    profiles: list[Profile]
    problems: list[Problem]


@dataclass(frozen=True)
class Folder:
    """A profile folder and whose it is: personal or team."""

    path: Path
    kind: str  # personal | team


def team_dirs_from(environ: Mapping[str, str], cli_dirs: Iterable[str | Path] = ()) -> list[Path]:
    """Team folders from INSPECTOR_PROFILES (os.pathsep-separated) then --profiles-dir, without repeats."""
    raw = [p for p in environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    out: list[Path] = []
    for item in [*raw, *cli_dirs]:
        path = Path(item).expanduser()
        if path not in out:
            out.append(path)
    return out


def literal_secrets(profile: Profile) -> tuple[str, ...]:
    """Secret fields holding a value instead of a ${...} reference, as field paths: "credentials.password",
    "credentials.form.password", "tls.key_password"."""
    out = []
    for path, value in profile.secret_entries():
        try:
            if value and parse_reference(value) is None:
                out.append(path)
        except ProfileError:
            pass  # reported when the file is loaded
    return tuple(out)


def secret_references(profile: Profile) -> dict[str, str]:
    """Field path ("credentials.client_secret", "credentials.form.password", "tls.key_password") -> the
    reference it holds, for every field that holds one."""
    out = {}
    fields: list[tuple[str, object]] = [(f"credentials.{k}", v) for k, v in profile.credentials.items()]
    for key, value in profile.credentials.items():
        if isinstance(value, Mapping):
            fields.extend((f"credentials.{key}.{k}", v) for k, v in value.items())
    if profile.tls is not None and profile.tls.key_password:
        fields.append(("tls.key_password", profile.tls.key_password))
    for path, value in fields:
        if isinstance(value, str):
            try:
                if parse_reference(value) is not None:
                    out[path] = value
            except ProfileError:
                pass  # reported when the file is loaded
    return out


def keep_secret(
    profile: Profile, field: str, value: str, secrets: SecretStore, key: str | None = None
) -> Profile:
    """Store a typed-in secret in the secret store; return the profile holding its ${secret:KEY} reference."""
    key = key or f"{profile.stem}.{field}"
    secrets.set(key, value)
    return replace(profile, credentials={**profile.credentials, field: f"${{secret:{key}}}"})


def _current_sha256(path: Path) -> str | None:
    """The hash of the file's content now (None when it is gone). Always hashed: a rewrite with the same size
    and a restored mtime is still a change, and a profile is small."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_PROFILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise storage_error(exc, path, "read", ProfileStorageError) from None
    import hashlib  # a save's check: loading the window's profiles does not need it

    return hashlib.sha256(data).hexdigest()


def render(profile: Profile) -> str:
    """The TOML text a profile is saved as."""
    # imported here: writing is rare, and reading the profiles at start-up must not pay for it
    import tomli_w

    from inspector.core.collections.tomltext import holds_carriage_return

    document = profile.to_document()
    return tomli_w.dumps(document, multiline_strings=not holds_carriage_return(document))


class ProfileStore:
    """The personal folder plus team folders. The folders are always passed in (tests use tmp_path)."""

    def __init__(
        self, personal_dir: Path, team_dirs: Sequence[Path] = (), *, lock_timeout: float = LOCK_TIMEOUT_S
    ) -> None:
        personal = Path(personal_dir)
        folders = [Folder(personal, "personal")]
        seen = {_key(personal)}
        for d in team_dirs:
            d = Path(d)
            if _key(d) not in seen:
                seen.add(_key(d))
                folders.append(Folder(d, "team"))
        self.folders: tuple[Folder, ...] = tuple(folders)
        self.lock_timeout = lock_timeout
        for folder in self.folders:  # a save killed half-way leaves its temp file behind: remove it
            clean_stale_temps(folder.path, SUFFIX)

    @property
    def personal_dir(self) -> Path:
        return self.folders[0].path

    @property
    def team_dirs(self) -> tuple[Path, ...]:
        return tuple(f.path for f in self.folders[1:])

    def folder_kind(self, folder: Path) -> str | None:
        """'personal' or 'team' for one of this store's folders; None for any other folder."""
        k = _key(Path(folder))
        for f in self.folders:
            if _key(f.path) == k:
                return f.kind
        return None

    # --- reading -------------------------------------------------------------------------------------------

    def load_all(self) -> LoadResult:
        """Every profile in every folder, personal first; broken files become problems, nothing is written."""
        profiles: list[Profile] = []
        problems: list[Problem] = []
        for folder in self.folders:
            if not folder.path.is_dir():
                if folder.kind == "team":
                    problems.append(
                        Problem(
                            "missing-folder",
                            f"The team folder {folder.path} does not exist or is not a folder: check the "
                            f"path in the settings, --profiles-dir or {ENV_VAR}.",
                            folder.path,
                        )
                    )
                continue
            for path in sorted(folder.path.glob(f"*{SUFFIX}")):
                if path.name.startswith("."):
                    continue
                if path.is_dir():  # said, not skipped: `--profile NAME` would otherwise just be "not found"
                    problems.append(Problem(
                        "unreadable", f"{path} is a folder, not a profile file: rename or move it.", path))
                    continue
                if not path.is_file():
                    continue
                try:
                    profiles.append(self._read(path, folder.kind))
                except ProfileFileError as exc:
                    problems.append(Problem(exc.code, str(exc), path, exc.line, exc.field))
        return LoadResult(profiles, problems)

    def load(self, path: Path) -> Profile:
        """One profile file; ProfileFileError when it is broken."""
        path = Path(path)
        kind = self.folder_kind(path.parent) or "personal"
        return self._read(path, kind)

    def reload(self, profile: Profile) -> Profile:
        """The profile as it is on disk now (after a conflict, to see the other change)."""
        return self._read(profile.path, profile.folder_kind)

    @staticmethod
    def _read(path: Path, folder_kind: str) -> Profile:
        text, data, st = read_small_text(path, MAX_PROFILE_BYTES, "a profile", ProfileFileError)
        return parse_profile(text, path, folder_kind=folder_kind, loaded=Fingerprint.of(data, st))

    def find(self, name_or_id: str, profiles: Sequence[Profile] | None = None) -> Profile:
        """A profile by identity, file path, name or file stem; ProfileError when none or several match."""
        problems: list[Problem] = []
        if profiles is None:
            profiles, problems = self.load_all()
        wanted = name_or_id.strip()
        wanted_key = _key(Path(wanted).expanduser()) if wanted else ""
        by_id = [p for p in profiles if wanted_key in (_key(Path(p.identity)), _key(p.path))]
        if by_id:
            return by_id[0]
        matchers: tuple[Callable[[Profile], bool], ...] = (
            lambda p: p.name == wanted,
            lambda p: p.stem == wanted,
            lambda p: p.name.casefold() == wanted.casefold(),
        )
        for match in matchers:
            found = [p for p in profiles if match(p)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                listed = "; ".join(f"{p.identity} ({p.folder_kind})" for p in found)
                raise ProfileError(
                    f"{len(found)} profiles are called '{wanted}': {listed}. Name one by its identity "
                    f"(its folder and file name), e.g. '{found[0].identity}'."
                )
        for problem in problems:
            if problem.path.stem == wanted or _key(problem.path) == wanted_key:
                raise ProfileError(f"The profile '{wanted}' cannot be used: {problem.message}")
        names = sorted({p.name for p in profiles})
        import difflib  # only for a name that is not found

        hint = difflib.get_close_matches(wanted, names, n=1)
        hint_text = f" Did you mean '{hint[0]}'?" if hint else ""
        known = f"The profiles are: {', '.join(names)}." if names else "There are no profiles."
        folders = ", ".join(str(f.path) for f in self.folders)
        raise ProfileError(f"No profile is called '{wanted}' in {folders}.{hint_text} {known}")

    # --- writing -------------------------------------------------------------------------------------------

    def save(self, profile: Profile, *, overwrite: bool = False) -> Profile:
        """Write the profile atomically and return it as now on disk.

        ProfileConflict when the file changed (or appeared, or vanished) since the profile was loaded, unless
        overwrite; ProfileError for a literal secret in a team folder or a profile that would not load back.
        """
        folder_kind = self.folder_kind(profile.folder)
        if folder_kind is None:
            raise ProfileError(
                f"{profile.folder} is not one of the profile folders "
                f"({', '.join(str(f.path) for f in self.folders)}): add it as a team folder first."
            )
        profile = replace(profile, folder_kind=folder_kind)
        path = profile.path
        if folder_kind == "team":
            literal = literal_secrets(profile)
            if literal:
                fields = ", ".join(literal)
                raise ProfileError(
                    f"{path}: {fields} holds a literal secret, and {profile.folder} is a team folder that "
                    "others can read: move it to your keyring (store it there and write ${secret:KEY}), or "
                    "use ${env:NAME} or ${prompt}."
                )
        text = render(profile)
        profile_from_document(profile.to_document(), path, text=text, folder_kind=folder_kind)  # loads back?
        data = text.encode("utf-8")
        try:
            if folder_kind == "personal":
                ensure_private_dir(profile.folder)
            elif not profile.folder.is_dir():
                raise ProfileError(
                    f"The team folder {profile.folder} does not exist: create it or fix the path."
                )
        except OSError as exc:
            raise storage_error(exc, profile.folder, "created", ProfileStorageError) from None
        with self._folder_lock(profile.folder):
            # read, compare and write under the lock: nobody else writes between our check and our rename
            if not overwrite:
                loaded = None if profile.loaded is None else profile.loaded.sha256
                check_unchanged(path, _current_sha256(path), loaded, ProfileConflict)
            mode = PRIVATE_FILE if folder_kind == "personal" else None
            st = write_keeping_mode(path, data, ProfileStorageError, mode)
        return parse_profile(text, path, folder_kind=folder_kind, loaded=Fingerprint.of(data, st))

    def _folder_lock(self, folder: Path) -> AbstractContextManager[None]:
        """The folder's cross-process lock; ProfileStorageError when it cannot be had."""
        return folder_lock(folder, timeout=self.lock_timeout, error=ProfileStorageError)

    def delete(self, profile: Profile, *, force: bool = False) -> None:
        """Remove the profile's file; ProfileConflict when it changed since it was loaded, unless force."""
        path = profile.path
        if not profile.folder.is_dir():
            return  # nothing there to delete
        with self._folder_lock(profile.folder):
            if not force and profile.loaded is not None:
                now = _current_sha256(path)
                if now is not None and now != profile.loaded.sha256:
                    raise ProfileConflict(
                        f"{path} changed on disk since it was loaded: reload it before deleting it.",
                        path=path,
                    )
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise storage_error(exc, path, "deleted", ProfileStorageError) from None

    def duplicate(self, profile: Profile, folder: Path, *, name: str | None = None) -> Profile:
        """Save a copy (unknown keys included) into one of the store's folders under a free file name."""
        folder = Path(folder)
        same_folder = _key(folder) == _key(profile.folder)
        new_name = name or (f"{profile.name} (copy)" if same_folder else profile.name)
        base = slug(new_name) if (name or same_folder) else profile.stem
        stem = base
        for n in range(2, 1000):
            if not (folder / f"{stem}{SUFFIX}").exists():
                break
            stem = f"{base}-{n}"
        else:
            raise ProfileError(f"{folder} has no free file name for '{new_name}': pick another name.")
        copy = replace(profile, folder=folder, stem=stem, name=new_name, loaded=None)
        return self.save(copy)

    # --- checking ------------------------------------------------------------------------------------------

    def check(self, resolver: Resolver | None = None, loaded: LoadResult | None = None) -> list[Problem]:
        """Every problem: broken files, literal secrets in team folders, (with a resolver) missing secrets."""
        profiles, problems = loaded if loaded is not None else self.load_all()
        out = list(problems)
        for p in profiles:
            out.extend(profile_problems(p, resolver))
        return out


def profile_problems(profile: Profile, resolver: Resolver | None) -> list[Problem]:
    """Problems of one loaded profile: literal secrets in a team folder, references that do not resolve."""
    out: list[Problem] = []
    path = profile.path
    if profile.folder_kind == "team":
        for key in literal_secrets(profile):
            out.append(
                Problem(
                    "literal-secret",
                    f"{path}: {key} of '{profile.name}' holds a literal secret in a team folder: "
                    "move it to your keyring and write ${secret:KEY} instead.",
                    path,
                    field=key,
                    profile=profile.name,
                )
            )
    if resolver is not None:
        for key, ref in secret_references(profile).items():
            missing = resolver.missing(ref, profile=profile.name, field=key)
            if missing is not None:
                out.append(
                    Problem(
                        "missing-secret",
                        f"{path}: {missing}",
                        path,
                        field=key,
                        profile=profile.name,
                    )
                )
    out.extend(tls_problems(profile))
    return out


def tls_problems(profile: Profile) -> list[Problem]:
    """[tls] files that cannot be read (a certificate, key or CA bundle that is missing or not PEM)."""
    out: list[Problem] = []
    if profile.tls is None:
        return out
    for key in ("client_cert", "client_key", "ca_bundle"):
        file = profile.tls.path(key, profile.folder)
        if file is None:
            continue
        why = _unreadable_pem(file)
        if why:
            out.append(Problem("missing-file", f"{profile.path}: tls.{key} of '{profile.name}' names {file}, "
                                               f"which {why}.", profile.path, field=f"tls.{key}",
                               profile=profile.name))
    return out


def _unreadable_pem(file: Path) -> str | None:
    """Why a [tls] file cannot be used, or None."""
    try:
        with open(file, "rb") as f:
            head = f.read(MAX_PROFILE_BYTES)
    except FileNotFoundError:
        return "does not exist"
    except IsADirectoryError:
        return "is a folder, not a file"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if b"-----BEGIN " not in head:
        return "is not a PEM file (it has no -----BEGIN line)"
    return None


def profile_status(profile: Profile, resolver: Resolver | None) -> str:
    """'ready' or 'secret missing' ('broken' is for files that did not load)."""
    if resolver is not None:
        for key, ref in secret_references(profile).items():
            if resolver.missing(ref, profile=profile.name, field=key) is not None:
                return "secret missing"
    return "ready"


def _key(path: Path) -> str:
    """A comparable spelling of a path (absolute, normalised, symlinks resolved when possible)."""
    try:
        return os.path.normcase(str(path.expanduser().resolve()))
    except (OSError, ValueError, RuntimeError):  # a name that is no path (NUL byte), a symlink loop
        return os.path.normcase(str(path))


# --- watching ---------------------------------------------------------------------------------------------

Snapshot = dict[Path, tuple[int, int]]


@dataclass(frozen=True)
class Changes:
    """Profile files added, removed and modified between two snapshots of the folders."""

    added: tuple[Path, ...] = ()
    removed: tuple[Path, ...] = ()
    modified: tuple[Path, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.modified)

    @property
    def paths(self) -> tuple[Path, ...]:
        return self.added + self.removed + self.modified


def snapshot(folders: Iterable[Path]) -> Snapshot:
    """(mtime_ns, size) of every profile file in the folders; missing folders are skipped."""
    out: Snapshot = {}
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.endswith(SUFFIX):
                continue
            try:
                if not entry.is_file():
                    continue
                st = entry.stat()
            except OSError:
                continue  # removed between listing and stat: the next poll sees it gone
            out[Path(entry.path)] = (st.st_mtime_ns, st.st_size)
    return out


def changed(old: Snapshot, new: Snapshot) -> Changes:
    """What differs between two snapshots (pure)."""
    return Changes(
        added=tuple(sorted(p for p in new if p not in old)),
        removed=tuple(sorted(p for p in old if p not in new)),
        modified=tuple(sorted(p for p in new if p in old and new[p] != old[p])),
    )
