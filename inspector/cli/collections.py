"""`collections list [DIR]`: the collections the app sees (personal folder, INSPECTOR_COLLECTIONS,
--collections-dir), or with DIR that collection's tree, its environments and its broken files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import IO, Any

from inspector.cli.args import EXIT_OK
from inspector.cli.render import dumps, safe_line


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if args.dir:
        from inspector.core.collections.store import find_collection_root, load_collection

        loaded = load_collection(find_collection_root(Path(args.dir)))
        out.write(dumps(tree_json(*loaded)) + "\n" if args.json else tree_text(*loaded))
        return EXIT_OK
    from inspector.core.collections.defaults import default_sources
    from inspector.core.collections.store import discover

    sources = default_sources(cli_dirs=args.collections_dir)
    found = discover(sources)
    if args.json:
        out.write(
            dumps(
                {
                    "collections": [
                        {
                            "name": c.name,
                            "path": str(c.root),
                            "source": c.source.kind,
                            "problem": c.problem.message if c.problem else None,
                        }
                        for c in found
                    ]
                }
            )
            + "\n"
        )
        return EXIT_OK
    if not found:
        folders = ", ".join(f"{safe_line(s.path)} ({s.kind})" for s in sources)
        out.write(f"No collections in {folders}.\n")
        return EXIT_OK
    width = max(len(safe_line(c.name)) for c in found)
    for c in found:
        status = f"  broken: {safe_line(c.problem.message)}" if c.problem else ""
        out.write(f"{safe_line(c.name):<{width}}  {safe_line(c.root)} ({c.source.kind}){status}\n")
    return EXIT_OK


def tree_text(collection: Any, problems: list[Any]) -> str:
    from inspector.core.collections.model import Folder

    lines = [f"{safe_line(collection.name)}  ({safe_line(collection.root)})"]
    if collection.profile is not None:
        lines.append(f"  default profile: {safe_line(collection.profile) or '(none)'}")
    if collection.environments:
        lines.append("  environments: " + ", ".join(safe_line(e.name) for e in collection.environments))

    def walk(items: tuple[Any, ...], depth: int) -> None:
        for item in items:
            pad = "  " * depth
            if isinstance(item, Folder):
                extra = (
                    f"  [profile: {safe_line(item.profile) or '(none)'}]" if item.profile is not None else ""
                )
                lines.append(f"{pad}{safe_line(item.name)}/{extra}")
                walk(item.items, depth + 1)
            else:
                extra = (
                    f"  [profile: {safe_line(item.profile) or '(none)'}]" if item.profile is not None else ""
                )
                lines.append(f"{pad}{safe_line(item.method):<7} {safe_line(item.name)}{extra}")

    walk(collection.items, 1)
    for p in problems:
        lines.append(f"  broken: {safe_line(p.message)}")
    return "\n".join(lines) + "\n"


def tree_json(collection: Any, problems: list[Any]) -> dict[str, Any]:
    from inspector.core.collections.model import Folder

    def items(values: tuple[Any, ...]) -> list[dict[str, Any]]:
        out = []
        for item in values:
            if isinstance(item, Folder):
                out.append(
                    {
                        "folder": item.name,
                        "path": str(item.path),
                        "profile": item.profile,
                        "items": items(item.items),
                    }
                )
            else:
                out.append(
                    {
                        "request": item.name,
                        "method": item.method,
                        "url": item.url,
                        "path": str(item.path),
                        "profile": item.profile,
                    }
                )
        return out

    return {
        "name": collection.name,
        "path": str(collection.root),
        "profile": collection.profile,
        "environments": [e.name for e in collection.environments],
        "items": items(collection.items),
        "problems": [{"path": str(p.path), "line": p.line, "message": p.message} for p in problems],
    }
