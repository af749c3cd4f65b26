"""`profiles list|show NAME|check`: text functions over a ProfileStore, and the subcommand that prints them.

Without a resolver they use the command line's default one (the keyring or secrets file, and the environment)
to tell whether each secret can be found; nothing is ever prompted for.

Secrets are never shown: a reference is printed as written, a literal secret as a note that it is hidden.
Everything read from a profile file goes through the terminal sanitiser (a name can hold an escape sequence).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from inspector.cli.args import EXIT_OK, UsageError
from inspector.cli.render import safe_line
from inspector.core.profiles.model import SUFFIX, Profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.profiles.store import (
    LoadResult,
    ProfileStore,
    literal_secrets,
    profile_problems,
    profile_status,
    secret_references,
)

HIDDEN = "(a literal secret, hidden)"
# where `python main.py --demo` writes the demo profiles for its window (ui/gui.py), under the data folder
DEMO_FOLDER_NAME = "demo-profiles"


def run(args: argparse.Namespace, out: IO[str]) -> int:
    """Print the list, one profile, or every problem; `check` exits 1 when there is any."""
    from inspector.core.profiles import open_default_store

    store = open_default_store(extra_dirs=[Path(d) for d in args.profiles_dir])
    if args.action == "list":
        out.write(list_text(store))
        demo = last_demo_folder(store)
        if demo is not None:
            out.write(demo_note(demo) + "\n")
        return EXIT_OK
    if args.action == "show":
        if not args.name:
            raise UsageError("profiles show needs a profile name: request-inspector profiles show NAME.")
        out.write(show_text(store, args.name))
        return EXIT_OK
    text, code = check_text(store)
    out.write(text)
    return code


def last_demo_folder(store: ProfileStore, data_dir: Path | None = None) -> Path | None:
    """The folder of demo profiles a past `--demo` run left in the data folder, when it holds profiles and the
    store does not read it already (--profiles-dir). Not read on its own: its profiles point at that run's
    demo server and take their secrets from that run's environment."""
    if data_dir is None:
        from inspector.core.profiles.defaults import default_data_dir

        data_dir = default_data_dir()
    folder = data_dir / DEMO_FOLDER_NAME
    try:
        if not folder.is_dir() or not any(folder.glob(f"*{SUFFIX}")):
            return None
        here = folder.resolve()
        if any(f.path.expanduser().resolve() == here for f in store.folders):
            return None
    except OSError:
        return None
    return folder


def demo_profile_names(folder: Path) -> list[str]:
    """The names of the profiles in a demo folder (broken files by their file name)."""
    profiles, problems = ProfileStore(folder).load_all()
    return sorted({p.name for p in profiles} | {q.path.stem for q in problems if q.code != "missing-folder"})


def demo_note(folder: Path) -> str:
    """One line under `profiles list`: the demo profiles exist, where, and how to use them."""
    import shlex

    names = ", ".join(safe_line(n) for n in demo_profile_names(folder))
    return (f"demo profiles: {names} (from the last --demo run, in {safe_line(folder)}; not listed above: "
            "they work while that window is open; add --profiles-dir "
            f"{safe_line(shlex.quote(str(folder)))} to use them)")


def demo_profile_hint(store: ProfileStore, name: str, data_dir: Path | None = None) -> str | None:
    """For `send --profile NAME` that found nothing: a sentence when NAME is one of the last --demo run's."""
    folder = last_demo_folder(store, data_dir)
    if folder is None:
        return None
    from inspector.core.errors import ProfileError

    try:
        ProfileStore(folder).find(name)
    except ProfileError:
        return None
    import shlex

    return (f"'{name}' is a demo profile from the last --demo run, in {folder}: it works while that window "
            f"is open; add --profiles-dir {shlex.quote(str(folder))} to use it.")


def _resolver(resolver: Resolver | None) -> Resolver:
    """The given resolver, or the command line's default (keyring or secrets file, the environment)."""
    if resolver is not None:
        return resolver
    from inspector.core.profiles.defaults import resolver_for_cli

    return resolver_for_cli()


def _folder_label(path: object, kind: str) -> str:
    return f"{safe_line(path)} ({safe_line(kind)})"


def list_text(store: ProfileStore, resolver: Resolver | None = None, loaded: LoadResult | None = None) -> str:
    """One line per profile: name, kind, folder, status (ready, secret missing, broken)."""
    resolver = _resolver(resolver)
    profiles, problems = loaded if loaded is not None else store.load_all()
    rows: list[tuple[str, str, str, str]] = []
    for p in profiles:
        rows.append((safe_line(p.name), safe_line(p.kind), _folder_label(p.folder, p.folder_kind),
                     safe_line(profile_status(p, resolver))))
    for problem in problems:
        if problem.code == "missing-folder":
            continue
        kind = store.folder_kind(problem.path.parent) or "?"
        rows.append((safe_line(problem.path.stem), "?", _folder_label(problem.path.parent, kind), "broken"))
    if not rows:
        folders = ", ".join(_folder_label(f.path, f.kind) for f in store.folders)
        return f"No profiles in {folders}.\n"
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        f"{name:<{widths[0]}}  {kind:<{widths[1]}}  {folder:<{widths[2]}}  {status}"
        for name, kind, folder, status in rows
    ]
    return "\n".join(lines) + "\n"


def show_text(store: ProfileStore, name_or_id: str, resolver: Resolver | None = None) -> str:
    """The profile with secrets as their references; ProfileError when no profile or several match."""
    profile = store.find(name_or_id)
    return profile_text(profile, _resolver(resolver))


def profile_text(profile: Profile, resolver: Resolver | None = None) -> str:
    """A readable dump of one profile; never a secret value."""
    secret = set(profile.secret_fields())  # top-level credential names
    literal = set(literal_secrets(profile))  # field paths
    refs = secret_references(profile)
    lines = [
        safe_line(profile.name),
        f"  file:     {safe_line(profile.path)} ({safe_line(profile.folder_kind)} folder)",
        f"  identity: {safe_line(profile.identity)}",
        f"  kind:     {safe_line(profile.kind)}",
        f"  status:   {safe_line(profile_status(profile, resolver))}",
    ]
    if profile.base_url:
        lines.append(f"  base_url: {safe_line(profile.base_url)}")
    if profile.notes:
        notes = [safe_line(n) for n in profile.notes.strip().splitlines()] or [""]
        lines.append(f"  notes:    {notes[0]}")
        lines.extend(f"            {n}" for n in notes[1:])
    secret_paths = {path for path, _value in profile.secret_entries()}

    def shown(path: str, value: object) -> str:
        if path in refs:
            return refs[path]
        if path in literal or (path in secret_paths and value):
            return HIDDEN
        return str(value).lower() if isinstance(value, bool) else str(value)

    if profile.credentials:
        lines.append("  credentials:")
        flat = [(k, v) for k, v in profile.credentials.items() if not isinstance(v, Mapping)]
        tables = [(k, v) for k, v in profile.credentials.items() if isinstance(v, Mapping)]
        width = max((len(k) for k, _v in flat), default=0)
        for key, value in flat:
            path = f"credentials.{key}"
            text = HIDDEN if key in secret and value and path not in refs else shown(path, value)
            lines.append(f"    {safe_line(key):<{width}} = {safe_line(text)}")
        for table, values in tables:
            lines.append(f"    [{safe_line(table)}]")
            inner = max((len(str(k)) for k in values), default=0)
            for key, value in values.items():
                text = shown(f"credentials.{table}.{key}", value)
                lines.append(f"      {safe_line(key):<{inner}} = {safe_line(text)}")
    if profile.tls is not None:
        lines.append("  tls:")
        tls_fields = profile.tls.as_table()
        width = max(len(k) for k in tls_fields)
        lines.extend(f"    {k:<{width}} = {safe_line(shown(f'tls.{k}', v))}" for k, v in tls_fields.items())
    e = profile.expect
    expect = [
        ("audience", e.audience),
        ("issuer", e.issuer),
        ("scopes", " ".join(e.scopes) if e.scopes else None),
        ("leeway_s", None if e.leeway_s is None else f"{e.leeway_s:g}"),
        ("algorithms", ", ".join(e.algorithms) if e.algorithms else None),
        ("jwks_url", e.jwks_url),
        ("key_file", e.key_file),
    ]
    present = [(k, v) for k, v in expect if v]
    if present:
        lines.append("  expect:")
        width = max(len(k) for k, _ in present)
        lines.extend(f"    {k:<{width}} = {safe_line(v)}" for k, v in present)
    problems = profile_problems(profile, resolver)
    if problems:
        lines.append("  problems:")
        lines.extend(f"    - {safe_line(p.message)}" for p in problems)
    return "\n".join(lines) + "\n"


def check_text(store: ProfileStore, resolver: Resolver | None = None) -> tuple[str, int]:
    """Every problem, one per line, and the exit status: 1 when there is any, else 0."""
    loaded = store.load_all()
    problems = store.check(_resolver(resolver), loaded)
    if not problems:
        n = len(loaded.profiles)
        return f"No problems: {n} profile{'s' if n != 1 else ''} checked.\n", 0
    lines = [f"[{safe_line(p.code)}] {safe_line(p.message)}" for p in problems]
    n = len(problems)
    lines.append(f"{n} problem{'s' if n != 1 else ''} found.")
    return "\n".join(lines) + "\n", 1
