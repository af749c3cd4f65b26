"""Laying an import out on disk: a new collection folder, written whole or not at all.

Everything is written into a hidden folder next to the target and renamed into place at the end, so a failed
or cancelled import leaves nothing half-written, and an existing folder is never touched. Every file is
checked the way a save checks it (it loads back, it holds no literal secret) before it is written.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from inspector.core.collections.importers.common import (
    Imported,
    ImportedFolder,
    ImportError_,
    ImportReport,
)
from inspector.core.collections.model import (
    COLLECTION_FILE,
    ENVIRONMENTS_DIR,
    FOLDER_FILE,
    PROFILES_DIR,
    RESERVED_DIRS,
    SUFFIX,
    Collection,
    CollectionError,
    Environment,
    Folder,
    collection_from_document,
    environment_from_document,
    folder_from_document,
    parse_toml,
    request_from_document,
    slug,
)
from inspector.core.collections.secrecy import request_literal_secrets, variables_literal_secrets
from inspector.core.collections.tomltext import dumps
from inspector.core.files import SHARED_FILE, storage_error

Progress = Callable[[int, int], None]  # (files written, files to write)


def _unique(stem: str, taken: set[str]) -> str:
    name = stem
    n = 2
    while name in taken:  # bounded by the number of names taken
        name = f"{stem}-{n}"
        n += 1
    taken.add(name)
    return name


def _count(folder: ImportedFolder) -> tuple[int, int]:
    folders = requests = 0
    stack = [folder]
    while stack:
        current = stack.pop()
        for item in current.items:
            if isinstance(item, ImportedFolder):
                folders += 1
                stack.append(item)
            else:
                requests += 1
    return folders, requests


def _check(path: Path, found: list[str]) -> None:
    if found:  # the importers lift every secret out; this is the last line of defence
        raise ImportError_(
            f"{path}: {', '.join(found)} would hold a literal secret; the import was stopped and "
            "nothing was written."
        )


class _Writer:
    def __init__(self, staging: Path, progress: Progress | None, total: int) -> None:
        self.staging = staging
        self.progress = progress
        self.total = total
        self.done = 0
        self.variable_names: set[str] = set()

    def file(self, path: Path, text: str) -> None:
        try:
            path.write_text(text, encoding="utf-8")
            os.chmod(path, SHARED_FILE)
        except OSError as exc:
            raise storage_error(exc, path, "written", then="Nothing was imported.") from None
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)

    def folder(self, folder: ImportedFolder, target: Path, top: bool) -> list[str]:
        """Write a folder's items into target; the order list for its folder.toml or collection.toml."""
        taken: set[str] = set(RESERVED_DIRS) if top else set()
        taken |= {"folder", "collection"}
        order: list[str] = []
        for item in folder.items:
            if isinstance(item, ImportedFolder):
                stem = _unique(slug(item.name), taken)
                sub = target / stem
                sub.mkdir()
                sub_order = self.folder(item, sub, False)
                meta = Folder(
                    name=item.name,
                    path=sub,
                    profile=item.profile,
                    vars=item.vars,
                    order=tuple(sub_order),
                    description=item.description,
                )
                meta_path = sub / FOLDER_FILE
                _check(meta_path, variables_literal_secrets(meta.vars))
                text = dumps(meta.to_document())
                folder_from_document(parse_toml(text, meta_path), meta_path, sub, text)
                self.variable_names.update(item.vars)
                self.file(meta_path, text)
                order.append(stem)
            else:
                stem = _unique(slug(item.name), taken)
                path = target / f"{stem}{SUFFIX}"
                request = replace(item, path=path)
                _check(path, request_literal_secrets(request))
                text = dumps(request.to_document())
                request_from_document(parse_toml(text, path), path, text)
                self.variable_names.update(item.vars)
                self.file(path, text)
                order.append(stem)
        return order


def _staging_dir(into: Path) -> Path:
    for _ in range(100):  # bounded: a clash of 6 random bytes is unlikely twice
        candidate = into.parent / f".{into.name}.import-{os.urandom(6).hex()}"
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise ImportError_(f"No temporary folder could be made next to {into}.")


def check_target(into: Path) -> None:
    """An existing non-empty folder (or a file) is refused before anything is read or written."""
    if into.exists() and (not into.is_dir() or any(into.iterdir())):
        raise ImportError_(
            f"{into} already exists and is not empty: an import never writes into an existing "
            "folder. Choose a new folder with --into."
        )


def write_collection(imported: Imported, into: Path, *, progress: Progress | None = None) -> ImportReport:
    """Write the import as a new collection folder `into` and report what was written."""
    into = Path(into).expanduser().absolute()
    check_target(into)
    try:
        into.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise storage_error(exc, into.parent, "created") from None
    folders, requests = _count(imported.root)
    total = 1 + folders + requests + len(imported.profiles) + len(imported.environments)
    staging = _staging_dir(into)
    writer = _Writer(staging, progress, total)
    try:
        profile_files = _write_profiles(imported, staging / PROFILES_DIR, writer)
        env_names = _write_environments(imported, staging / ENVIRONMENTS_DIR, writer)
        order = writer.folder(imported.root, staging, True)
        root = imported.root
        collection = Collection(
            name=root.name,
            root=staging,
            profile=root.profile,
            vars=root.vars,
            order=tuple(order),
            description=root.description,
        )
        _check(staging / COLLECTION_FILE, variables_literal_secrets(collection.vars))
        text = dumps(collection.to_document())
        collection_from_document(parse_toml(text, staging / COLLECTION_FILE), staging, text)
        writer.variable_names.update(root.vars)
        writer.file(staging / COLLECTION_FILE, text)
        if into.exists():
            into.rmdir()  # empty (checked): the rename needs the name free on every platform
        os.replace(staging, into)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return ImportReport(
        format=imported.format,
        into=str(into),
        folders=folders,
        requests=requests,
        profiles=tuple(profile_files),
        variables=len(writer.variable_names),
        environments=tuple(env_names),
        not_imported=tuple(imported.not_imported),
        references=tuple(imported.references),
    )


def _write_profiles(imported: Imported, folder: Path, writer: _Writer) -> list[str]:
    from inspector.core.profiles.model import Expect, new_profile, profile_from_document
    from inspector.core.profiles.store import literal_secrets, render

    if not imported.profiles:
        return []
    folder.mkdir()
    written = []
    taken: set[str] = set()
    for p in imported.profiles:
        stem = _unique(slug(p.name), taken)
        expect = Expect(**{k: v for k, v in p.expect.items() if k in Expect.__dataclass_fields__})
        profile = new_profile(
            p.name,
            p.kind,
            folder,
            stem=stem,
            folder_kind="team",
            credentials=p.credentials,
            base_url=p.base_url,
            notes=p.notes,
            expect=expect,
        )
        if literal_secrets(profile):
            raise ImportError_(f"The profile '{p.name}' would hold a literal secret; the import was stopped.")
        text = render(profile)
        profile_from_document(profile.to_document(), profile.path, text=text, folder_kind="team")
        writer.file(profile.path, text)
        written.append(profile.path.name)
    return written


def _write_environments(imported: Imported, folder: Path, writer: _Writer) -> list[str]:
    if not imported.environments:
        return []
    folder.mkdir()
    names = []
    taken: set[str] = set()
    for env in imported.environments:
        stem = _unique(slug(env.name), taken)
        path = folder / f"{stem}{SUFFIX}"
        value = Environment(name=env.name, vars=env.vars, path=path, document={"name": env.name})
        _check(path, variables_literal_secrets(value.vars))
        text = dumps(value.to_document())
        environment_from_document(parse_toml(text, path), path, text)
        writer.variable_names.update(env.vars)
        writer.file(path, text)
        names.append(env.name)
    return names


def write_environment_into(imported: Imported, collection_root: Path) -> ImportReport:
    """A Postman environment into an existing collection: environments/NAME.toml (refused if it exists)."""
    from inspector.core.collections.store import read_collection_meta, save_environment

    root = Path(collection_root).expanduser().absolute()
    read_collection_meta(root)  # CollectionError when it is not a collection
    names = []
    count: set[str] = set()
    for env in imported.environments:
        path = root / ENVIRONMENTS_DIR / f"{slug(env.name)}{SUFFIX}"
        if path.exists():
            raise ImportError_(
                f"{path} already exists: an import never overwrites a file. Rename or remove it, "
                "or rename the environment in the file you import."
            )
        try:
            save_environment(
                Environment(name=env.name, vars=env.vars, path=path, document={"name": env.name})
            )
        except CollectionError as exc:
            raise ImportError_(str(exc)) from None
        names.append(env.name)
        count.update(env.vars)
    return ImportReport(
        format=imported.format,
        into=str(root),
        folders=0,
        requests=0,
        profiles=(),
        variables=len(count),
        environments=tuple(names),
        not_imported=tuple(imported.not_imported),
        references=tuple(imported.references),
    )
