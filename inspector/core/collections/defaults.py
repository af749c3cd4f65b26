"""The real machine's collection folders, for the composition root and the CLI.

The personal folder is `collections/` under the user's data directory; with INSPECTOR_TESTING set it is under
the throw-away folder the profiles' defaults use, so a test never touches the user's real collections.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from inspector.core.collections.store import Source, collection_sources
from inspector.core.profiles.defaults import default_data_dir


def default_collections_dir(environ: Mapping[str, str] | None = None) -> Path:
    """collections/ under the user's data directory (created on first import, not here)."""
    return default_data_dir(os.environ if environ is None else environ) / "collections"


def default_sources(
    environ: Mapping[str, str] | None = None,
    cli_dirs: Iterable[str | Path] = (),
    window_dirs: Iterable[str | Path] = (),
) -> list[Source]:
    """The personal folder, INSPECTOR_COLLECTIONS, --collections-dir and the window's folders."""
    env = os.environ if environ is None else environ
    return collection_sources(default_collections_dir(env), env, cli_dirs, window_dirs)
