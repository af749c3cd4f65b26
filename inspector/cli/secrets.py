"""`secrets set KEY | list | delete KEY`: the values behind ${secret:KEY}, without the window.

`set` reads the value from stdin (asked without echo on a terminal) or `--from-env VAR`; it is stored in the
OS keyring (keyring.get_keyring(), so PYTHON_KEYRING_BACKEND is honoured) or, without one, the 0600 secrets
file.
`list` prints keys and where they are stored, never a value: the keys this command stored, the keys in the
secrets file, and every ${secret:KEY} the app's profiles and collections refer to.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import IO, Any

from inspector.cli.args import EXIT_OK, UsageError
from inspector.cli.render import safe_line

INDEX_FILE = "secret-keys.json"  # the keys `secrets set` stored: a keyring cannot list its own
_KEY_RE = re.compile(r"^[^{}\s]+$")
_SECRET_REF_RE = re.compile(r"^\s*\$\{secret:([^{}\s]+)\}\s*$")


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from inspector.core.profiles.defaults import default_data_dir, default_store_for_secrets

    store = default_store_for_secrets()
    data_dir = default_data_dir()
    if args.action == "list":
        out.write(list_text(store, data_dir, args.profiles_dir, args.collections_dir))
        return EXIT_OK
    key = _key(args.key, args.action)
    if args.action == "set":
        value = _value(key, args.from_env)
        store.set(key, value)
        _update_index(data_dir, key, add=True)
        out.write(f"Stored {safe_line(key)} in {safe_line(store.backend_name())}.\n")
        return EXIT_OK
    had = store.get(key) is not None
    store.delete(key)
    _update_index(data_dir, key, add=False)
    if had:
        out.write(f"Deleted {safe_line(key)} from {safe_line(store.backend_name())}.\n")
    else:
        out.write(
            f"{safe_line(key)} was not stored in {safe_line(store.backend_name())}; nothing to delete.\n"
        )
    return EXIT_OK


def _key(key: str | None, action: str) -> str:
    if not key:
        raise UsageError(f"secrets {action} needs a KEY: request-inspector secrets {action} KEY.")
    key = key.strip()
    if key.startswith("${secret:") and key.endswith("}"):
        key = key[len("${secret:") : -1]  # pasted from an import report
    if not _KEY_RE.match(key):
        raise UsageError(
            f"'{safe_line(key)}' is not a usable key: no spaces or braces (it is the KEY of ${{secret:KEY}})."
        )
    return key


def _value(key: str, from_env: str | None) -> str:
    if from_env is not None:
        value = os.environ.get(from_env)
        if not value:
            state = "is empty" if value == "" else "is not set"
            raise UsageError(f"The environment variable {safe_line(from_env)} {state}: nothing was stored.")
        return value
    if sys.stdin is None:
        raise UsageError("There is no stdin to read the value from: use --from-env VAR.")
    if sys.stdin.isatty():
        import getpass

        try:
            value = getpass.getpass(f"Value for {key}: ")
        except (EOFError, KeyboardInterrupt):
            raise UsageError("Nothing was stored.") from None
    else:
        value = sys.stdin.read()
        value = value[:-2] if value.endswith("\r\n") else value[:-1] if value.endswith("\n") else value
    if not value:
        raise UsageError(f"The value for {safe_line(key)} is empty: nothing was stored.")
    return value


# --- the index of keys ------------------------------------------------------------------------------------


def _read_index(data_dir: Path) -> list[str]:
    try:
        doc = json.loads((data_dir / INDEX_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    keys = doc.get("keys") if isinstance(doc, dict) else None
    return [str(k) for k in keys] if isinstance(keys, list) else []


def _update_index(data_dir: Path, key: str, *, add: bool) -> None:
    from inspector.core.files import (
        PRIVATE_FILE,
        atomic_write,
        ensure_private_dir,
        folder_lock,
        storage_error,
    )

    try:
        ensure_private_dir(data_dir)
        with folder_lock(data_dir):
            keys = set(_read_index(data_dir))
            if (key in keys) == add:
                return
            keys = keys | {key} if add else keys - {key}
            payload = json.dumps({"format": 1, "keys": sorted(keys)}, indent=2).encode("utf-8")
            atomic_write(data_dir / INDEX_FILE, payload, PRIVATE_FILE)
    except OSError as exc:
        raise storage_error(exc, data_dir / INDEX_FILE, "written") from None


# --- list -------------------------------------------------------------------------------------------------


def referenced_keys(profiles_dirs: list[str], collections_dirs: list[str]) -> dict[str, list[str]]:
    """KEY -> where it is referenced ("profile NAME", "collection NAME"), over what the app sees."""
    from inspector.core.collections.defaults import default_sources
    from inspector.core.collections.model import Folder
    from inspector.core.collections.store import discover, load_collection
    from inspector.core.profiles import open_default_store
    from inspector.core.profiles.store import ProfileStore

    found: dict[str, list[str]] = {}

    def note(value: Any, where: str) -> None:
        m = _SECRET_REF_RE.match(value) if isinstance(value, str) else None
        if m and where not in found.setdefault(m.group(1), []):
            found[m.group(1)].append(where)

    def profiles_of(store: ProfileStore) -> None:
        for profile in store.load_all().profiles:
            for value in profile.credentials.values():
                note(value, f"profile {profile.name}")

    profiles_of(open_default_store(extra_dirs=profiles_dirs))
    for ref in discover(default_sources(cli_dirs=collections_dirs)):
        collection, _ = load_collection(ref.root)
        where = f"collection {collection.name}"
        for value in collection.vars.values():
            note(value, where)
        for env in collection.environments:
            for value in env.vars.values():
                note(value, f"{where}, environment {env.name}")
        stack: list[Any] = list(collection.items)
        while stack:
            item = stack.pop()
            for value in item.vars.values():
                note(value, where)
            if isinstance(item, Folder):
                stack.extend(item.items)
        if collection.profiles_dir.is_dir():
            profiles_of(ProfileStore(collection.profiles_dir / ".personal-unused", [collection.profiles_dir]))
    return found


def list_text(store: Any, data_dir: Path, profiles_dirs: list[str], collections_dirs: list[str]) -> str:
    from inspector.core.errors import ProfileError
    from inspector.core.profiles.secrets import FileSecretStore

    refs = referenced_keys(profiles_dirs, collections_dirs)
    keys = set(_read_index(data_dir)) | set(refs)
    if isinstance(store, FileSecretStore):
        keys |= set(store.keys())
    if not keys:
        return f"No secrets stored or referenced ({safe_line(store.backend_name())}).\n"
    rows = []
    for key in sorted(keys):
        try:
            where = f"stored in {store.backend_name()}" if store.get(key) is not None else "not stored"
        except ProfileError as exc:
            where = f"cannot be read: {exc}"
        used = f"  (used by {', '.join(refs[key])})" if key in refs else ""
        rows.append((safe_line(key), safe_line(where) + safe_line(used)))
    width = max(len(k) for k, _ in rows)
    return "".join(f"{k:<{width}}  {w}\n" for k, w in rows)
