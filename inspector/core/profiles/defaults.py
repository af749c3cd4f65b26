"""The real machine's defaults, for the composition root and the CLI: folders, secret store, resolver.

Everything else in this package takes these as arguments. With INSPECTOR_TESTING set (tests/conftest.py sets
it), the defaults point at a throw-away folder under the temp directory and skip the system keyring, so a test
can never read or write the user's real profiles and secrets.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from inspector import APP_NAME
from inspector.core.profiles.secrets import (
    FileSecretStore,
    Prompt,
    Resolver,
    SecretStore,
    default_secret_store,
)
from inspector.core.profiles.store import ProfileStore, team_dirs_from

TESTING_VAR = "INSPECTOR_TESTING"


def _testing_root(environ: Mapping[str, str]) -> Path | None:
    if not environ.get(TESTING_VAR):
        return None
    return Path(tempfile.gettempdir()) / f"{APP_NAME}-testing-{os.getpid()}"


def default_personal_dir(environ: Mapping[str, str] | None = None) -> Path:
    """profiles/ under the user's config directory (created on first save, not here)."""
    env = os.environ if environ is None else environ
    root = _testing_root(env)
    if root is not None:
        return root / "config" / "profiles"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "profiles"


def default_data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The user's data directory, where the secrets file lives when there is no keyring."""
    env = os.environ if environ is None else environ
    root = _testing_root(env)
    if root is not None:
        return root / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def open_default_store(
    extra_dirs: Iterable[str | Path] = (),
    *,
    personal_dir: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ProfileStore:
    """The personal folder plus team folders from INSPECTOR_PROFILES and then extra_dirs (--profiles-dir)."""
    env = os.environ if environ is None else environ
    return ProfileStore(personal_dir or default_personal_dir(env), team_dirs_from(env, extra_dirs))


def default_store_for_secrets(environ: Mapping[str, str] | None = None) -> SecretStore:
    """The OS keyring when it has a usable backend, else the 0600 file in the data directory."""
    env = os.environ if environ is None else environ
    if _testing_root(env) is not None and not env.get("PYTHON_KEYRING_BACKEND"):
        # a test that names a keyring backend (keyring's own setting) gets it; others never touch the real one
        return FileSecretStore(default_data_dir(env))
    return default_secret_store(default_data_dir(env))


def terminal_prompt(profile: str, field: str) -> str | None:
    """Ask on the terminal without echo; None when the user interrupts."""
    import getpass  # the CLI's prompt only: the window's start-up does not import it (nor termios)

    try:
        return getpass.getpass(f"{field} for profile '{profile}': ")
    except (EOFError, KeyboardInterrupt):
        return None


def resolver_for_cli(environ: Mapping[str, str] | None = None, prompt: Prompt | None = None) -> Resolver:
    """A resolver for the command line: the default secret store, the environment, and a terminal prompt for
    ${prompt} when stdin is a terminal (otherwise ${prompt} is reported as missing)."""
    if prompt is None and sys.stdin is not None and sys.stdin.isatty():
        prompt = terminal_prompt
    return Resolver(default_store_for_secrets(environ), env=environ, prompt=prompt)
