"""Saved auth profiles: TOML files in a personal folder and team folders, secrets kept as references.

model: the Profile value and its validation; store: folders on disk; secrets: references and where their values
live; auth: turning a profile into credentials on a request (the transport's `auth` protocol).
"""

from inspector.core.profiles.auth import ProfileAuth, TokenCache, auth_for
from inspector.core.profiles.defaults import (
    default_data_dir,
    default_personal_dir,
    open_default_store,
    resolver_for_cli,
)
from inspector.core.profiles.model import (
    FORMAT,
    KINDS,
    Expect,
    Fingerprint,
    Profile,
    ProfileFileError,
    new_profile,
    parse_profile,
)
from inspector.core.profiles.secrets import (
    FileSecretStore,
    KeyringSecretStore,
    MissingSecret,
    Resolver,
    SecretStore,
    default_secret_store,
    parse_reference,
)
from inspector.core.profiles.store import (
    Changes,
    LoadResult,
    Problem,
    ProfileConflict,
    ProfileStore,
    changed,
    keep_secret,
    snapshot,
    team_dirs_from,
)

__all__ = [
    "FORMAT",
    "KINDS",
    "Changes",
    "Expect",
    "FileSecretStore",
    "Fingerprint",
    "KeyringSecretStore",
    "LoadResult",
    "MissingSecret",
    "Problem",
    "Profile",
    "ProfileAuth",
    "ProfileConflict",
    "ProfileFileError",
    "ProfileStore",
    "Resolver",
    "SecretStore",
    "TokenCache",
    "auth_for",
    "changed",
    "default_data_dir",
    "default_personal_dir",
    "default_secret_store",
    "keep_secret",
    "new_profile",
    "open_default_store",
    "parse_profile",
    "parse_reference",
    "resolver_for_cli",
    "snapshot",
    "team_dirs_from",
]
