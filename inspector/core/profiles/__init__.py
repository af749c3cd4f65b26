"""Saved auth profiles: TOML files in a personal folder and team folders, secrets kept as references.

model: the Profile value and its validation; store: folders on disk; secrets: references and where their
values live; auth: turning a profile into credentials on a request (the transport's `auth` protocol);
session, oauth, discovery and flows: the kinds that sign in with several requests.
"""

# Names are loaded on first use (PEP 562): the window's profile picker needs the model at start-up, not
# requests and the auth classes behind `auth`, which cost ~150 ms to import.
from inspector.core.lazy import lazy_exports

_WHERE = {
    "Changes": "store",
    "Expect": "model",
    "FORMAT": "model",
    "FileSecretStore": "secrets",
    "Fingerprint": "model",
    "KINDS": "model",
    "KeyringSecretStore": "secrets",
    "LoadResult": "store",
    "MissingSecret": "secrets",
    "Problem": "store",
    "Profile": "model",
    "ProfileAuth": "auth",
    "ProfileConflict": "store",
    "ProfileFileError": "model",
    "ProfileStore": "store",
    "Resolver": "secrets",
    "SecretStore": "secrets",
    "SignInHooks": "flows",
    "SignInProgress": "flows",
    "TlsSettings": "model",
    "TokenCache": "auth",
    "auth_for": "auth",
    "changed": "store",
    "default_data_dir": "defaults",
    "default_personal_dir": "defaults",
    "default_secret_store": "secrets",
    "keep_secret": "store",
    "new_profile": "model",
    "open_default_store": "defaults",
    "parse_profile": "model",
    "parse_reference": "secrets",
    "resolver_for_cli": "defaults",
    "snapshot": "store",
    "system_browser": "flows",
    "team_dirs_from": "store",
}

__all__ = list(_WHERE)

__getattr__ = lazy_exports(__name__, _WHERE)
