"""`export DIR [--format postman-2.1] [-o FILE]`: a collection or one folder of it as a Postman v2.1 file.

Profiles are looked up in the collection's profiles/ folder and the profile folders the app sees; their
secrets leave as references, never values.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from inspector.cli.args import EXIT_BAD_INPUT, EXIT_OK, UsageError
from inspector.cli.render import safe_line


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from inspector.core.collections.export import to_postman
    from inspector.core.collections.store import find_collection_root, load_collection
    from inspector.core.files import SHARED_FILE, atomic_write, storage_error

    target = Path(args.dir).expanduser()
    root = find_collection_root(target)
    collection, problems = load_collection(root)
    if problems:
        for p in problems:
            err.write(f"request-inspector: {safe_line(p.message)}\n")
        err.write("request-inspector: fix the broken files first: an export would leave them out.\n")
        return EXIT_BAD_INPUT
    folder = None
    if target.is_dir() and target.resolve() != root.resolve():
        folder = _folder_at(collection.as_folder(), target.resolve())
        if folder is None:
            raise UsageError(f"{target} is not a folder of the collection '{collection.name}'.")
    lookup = _profile_lookup(collection, args.profiles_dir)
    export = to_postman(collection, folder, lookup)
    for warning in export.warnings:
        err.write(f"request-inspector: {safe_line(warning)}\n")
    text = export.text()
    if args.output:
        path = Path(args.output).expanduser()
        try:
            atomic_write(path, text.encode("utf-8"), SHARED_FILE)
        except OSError as exc:
            raise storage_error(exc, path, "written") from None
        err.write(f"Exported to {safe_line(path)}\n")
    else:
        out.write(text)
    return EXIT_OK


def _folder_at(folder: Any, path: Path) -> Any:
    from inspector.core.collections.model import Folder

    stack = [folder]
    while stack:
        current = stack.pop()
        if current.path is not None and current.path.resolve() == path:
            return current
        stack.extend(i for i in current.items if isinstance(i, Folder))
    return None


def _profile_lookup(collection: Any, profiles_dirs: list[str]) -> Any:
    """name -> Profile among the collection's and the app's profile folders (None when none matches)."""
    from inspector.core.errors import ProfileError
    from inspector.core.profiles import open_default_store

    dirs = [*profiles_dirs]
    if collection.profiles_dir.is_dir():
        dirs.insert(0, str(collection.profiles_dir))
    store = open_default_store(extra_dirs=dirs)
    profiles, _ = store.load_all()

    def lookup(name: str) -> Any:
        try:
            return store.find(name, profiles)
        except ProfileError:
            return None

    return lookup
