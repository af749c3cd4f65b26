"""Secret references (${env:NAME}, ${secret:KEY}, ${prompt}), the stores behind them, and their resolution.

A profile file holds references, never values. Values are looked up only when a request is about to be sent.
Stores are tried in order, as Vorta does: the OS keyring when it has a usable backend, else a 0600 JSON file
in the user's data directory (headless Linux has no keyring backend).
"""

from __future__ import annotations

import json
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.core.errors import ProfileError, ProfileStorageError
from inspector.core.files import (
    LOCK_TIMEOUT_S,
    PRIVATE_FILE,
    atomic_write,
    clean_stale_temps,
    ensure_private_dir,
    folder_lock,
    storage_error,
)

SERVICE = "request-inspector"
REFERENCE_KINDS = ("env", "secret", "prompt")
_REF_RE = re.compile(r"^\$\{(?:(env|secret):([^{}\s]+)|(prompt))\}$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class MissingSecret(ProfileError):
    """A secret reference cannot be resolved; the message says how to provide it."""

    def __init__(self, message: str, *, reference: str, profile: str | None = None, field: str | None = None):
        super().__init__(message)
        self.reference = reference
        self.profile = profile
        self.field = field


@dataclass(frozen=True)
class Reference:
    """A ${env:NAME}, ${secret:KEY} or ${prompt} reference in a profile."""

    kind: str  # env | secret | prompt
    key: str = ""  # the variable name or keyring key; empty for prompt

    def __str__(self) -> str:
        return "${prompt}" if self.kind == "prompt" else f"${{{self.kind}:{self.key}}}"


def parse_reference(value: str) -> Reference | None:
    """The reference a field holds, or None for a literal; ProfileError for a malformed '${...}'."""
    if not value.startswith("${"):
        return None
    m = _REF_RE.match(value)
    if not m:
        raise ProfileError(
            f"'{value}' is not a secret reference: write ${{env:NAME}}, ${{secret:KEY}} or ${{prompt}}."
        )
    if m.group(3):
        return Reference("prompt")
    kind, key = m.group(1), m.group(2)
    if kind == "env" and not _ENV_NAME_RE.match(key):
        raise ProfileError(
            f"'{value}' names the environment variable '{key}', which is not a valid variable name: "
            "use letters, digits and underscores."
        )
    return Reference(kind, key)


def is_reference(value: object) -> bool:
    try:
        return isinstance(value, str) and parse_reference(value) is not None
    except ProfileError:
        return False


# --- stores -----------------------------------------------------------------------------------------------


class SecretStore(ABC):
    """Where ${secret:KEY} values live. get() returns None for an unknown key."""

    @abstractmethod
    def usable(self) -> bool:
        """Whether this store can work on this machine (a keyring backend exists, the folder is writable)."""

    @abstractmethod
    def backend_name(self) -> str:
        """A few words for the window: which store is in use."""

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def set(self, key: str, value: str) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Forget a key; no error when it is not there."""

    def how_to_store(self, key: str) -> str:
        return f"store it under '{key}' with the profiles dialog"


class KeyringSecretStore(SecretStore):
    """The OS keyring through the `keyring` package, service 'request-inspector'."""

    def __init__(self, backend: Any | None = None, service: str = SERVICE) -> None:
        if backend is None:
            import keyring  # imported here: choosing a backend probes the system, no work at import time

            backend = keyring.get_keyring()
        self.backend = backend
        self.service = service

    def usable(self) -> bool:
        return _backend_usable(self.backend)

    def backend_name(self) -> str:
        name = getattr(self.backend, "name", type(self.backend).__name__)
        return f"the system keyring ({name})"

    def get(self, key: str) -> str | None:
        from keyring.errors import KeyringError

        try:
            value: str | None = self.backend.get_password(self.service, key)
        except KeyringError as exc:
            raise ProfileError(
                f"The system keyring could not be read for '{key}' (service {self.service}): {exc}. "
                "Unlock the keyring and try again."
            ) from None
        return value

    def set(self, key: str, value: str) -> None:
        from keyring.errors import KeyringError

        try:
            self.backend.set_password(self.service, key, value)
        except KeyringError as exc:
            raise ProfileError(
                f"The system keyring refused to store '{key}' (service {self.service}): {exc}."
            ) from None

    def delete(self, key: str) -> None:
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            self.backend.delete_password(self.service, key)
        except PasswordDeleteError:
            pass
        except KeyringError as exc:
            raise ProfileError(f"The system keyring could not delete '{key}': {exc}.") from None

    def how_to_store(self, key: str) -> str:
        return f"store it with the profiles dialog or `keyring set {self.service} {key}`"


def _backend_usable(backend: Any) -> bool:
    from keyring.backends import chainer, fail

    if isinstance(backend, fail.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(_backend_usable(b) for b in backend.backends)
    try:
        from keyring.backends import null

        if isinstance(backend, null.Keyring):
            return False
    except ImportError:  # pragma: no cover - very old keyring
        pass
    return True


class FileSecretStore(SecretStore):
    """A JSON file, 0600 in a 0700 folder (the user's data directory), for machines without a keyring.

    Every change is read-modify-write under the folder's cross-process lock, written atomically; temp files a
    killed writer left behind are removed when the store is opened.
    """

    FILE_NAME = "secrets.json"

    def __init__(self, data_dir: Path, *, lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / self.FILE_NAME
        self.lock_timeout = lock_timeout
        clean_stale_temps(self.data_dir, self.FILE_NAME)  # each one a full copy of every secret

    def usable(self) -> bool:
        return True

    def backend_name(self) -> str:
        return f"a local file readable only by you ({self.path}), because this system has no keyring"

    def _read(self) -> dict[str, str]:
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise storage_error(exc, self.path, "read", ProfileStorageError) from None
        except UnicodeDecodeError:
            raw = ""  # reported as damaged below
        try:
            data = json.loads(raw)
            secrets = data["secrets"]
            if not isinstance(secrets, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise ProfileStorageError(
                f"The secrets file {self.path} is damaged (not the JSON this app writes): move it away and "
                "store the secrets again with the profiles dialog.",
                path=self.path,
                reason="damaged",
            ) from None
        return {str(k): str(v) for k, v in secrets.items()}

    def _write(self, secrets: dict[str, str]) -> None:
        payload = json.dumps({"format": 1, "secrets": secrets}, indent=2, sort_keys=True).encode("utf-8")
        try:
            # created 0600 from the start (never readable by others, not even briefly), then renamed over
            atomic_write(self.path, payload, PRIVATE_FILE)
        except OSError as exc:
            raise storage_error(
                exc, self.path, "written", ProfileStorageError, then="The stored secrets were not changed."
            ) from None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The data folder (created 0700) locked against every other writer, in any process."""
        try:
            ensure_private_dir(self.data_dir)
        except OSError as exc:
            raise storage_error(exc, self.data_dir, "created", ProfileStorageError) from None
        with folder_lock(self.data_dir, timeout=self.lock_timeout, error=ProfileStorageError):
            yield

    def get(self, key: str) -> str | None:
        # no lock: the file is only ever replaced whole, so a read sees the old or the new one
        return self._read().get(key)

    def keys(self) -> list[str]:
        """The keys stored (never the values), sorted."""
        return sorted(self._read())

    def set(self, key: str, value: str) -> None:
        with self._locked():
            secrets = self._read()
            secrets[key] = value
            self._write(secrets)

    def delete(self, key: str) -> None:
        with self._locked():
            secrets = self._read()
            if secrets.pop(key, None) is not None:
                self._write(secrets)


class DeferredSecretStore(SecretStore):
    """A store chosen on first use: `choose()` (the keyring's import and backend discovery, which take a
    tenth of a second or more) runs when a secret is first read or written, on whichever thread does so, and
    once. A window that starts with no ${secret:...} reference never pays for it."""

    def __init__(self, choose: Callable[[], SecretStore]) -> None:
        self._choose: Callable[[], SecretStore] | None = choose
        self._store: SecretStore | None = None
        self._lock = threading.Lock()

    @property
    def chosen(self) -> bool:
        """Whether the store was chosen already (nothing was probed otherwise)."""
        return self._store is not None

    def resolved(self) -> SecretStore:
        """The store behind this one, choosing it now if it was not yet."""
        with self._lock:
            if self._store is None:
                assert self._choose is not None
                self._store, self._choose = self._choose(), None
            return self._store

    def usable(self) -> bool:
        return self.resolved().usable()

    def backend_name(self) -> str:
        return self.resolved().backend_name()

    def get(self, key: str) -> str | None:
        return self.resolved().get(key)

    def set(self, key: str, value: str) -> None:
        self.resolved().set(key, value)

    def delete(self, key: str) -> None:
        self.resolved().delete(key)

    def how_to_store(self, key: str) -> str:
        return self.resolved().how_to_store(key)


def choose_secret_store(candidates: Iterable[SecretStore]) -> SecretStore:
    """The first usable store, in order (the keyring first, the file last)."""
    candidates = list(candidates)
    for store in candidates:
        if store.usable():
            return store
    raise ProfileError("No place to keep secrets is usable on this system: install a keyring backend.")


def default_secret_store(data_dir: Path, keyring_backend: Any | None = None) -> SecretStore:
    """The OS keyring when it has a usable backend, else the 0600 file in data_dir."""
    return choose_secret_store([KeyringSecretStore(keyring_backend), FileSecretStore(data_dir)])


# --- resolution -------------------------------------------------------------------------------------------

# prompt(profile_name, field) -> the value typed, or None when the user cancelled
Prompt = Callable[[str, str], str | None]


class Resolver:
    """Turns references into values at send time; ${prompt} answers are kept in memory for this resolver."""

    def __init__(
        self,
        store: SecretStore | None,
        env: Mapping[str, str] | None = None,
        prompt: Prompt | None = None,
    ) -> None:
        self.store = store
        self._env = env
        self.prompt = prompt
        self._prompt_cache: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    @property
    def env(self) -> Mapping[str, str]:
        return os.environ if self._env is None else self._env

    def forget_prompts(self) -> None:
        """Drop every ${prompt} answer (a new run asks again)."""
        with self._lock:
            self._prompt_cache.clear()

    def resolve(self, value: str, *, profile: str = "", field: str = "") -> str:
        """The value behind a reference (a literal comes back as is); MissingSecret when it is not found."""
        ref = parse_reference(value)
        if ref is None:
            return value
        if ref.kind == "prompt":
            return self._ask(ref, profile, field)
        problem = self.missing(value, profile=profile, field=field)
        if problem is not None:
            raise problem
        found = self.env.get(ref.key) if ref.kind == "env" else self._store_get(ref, profile, field)
        assert found is not None  # missing() said so
        return found

    def missing(self, value: str, *, profile: str = "", field: str = "") -> MissingSecret | None:
        """Why a reference cannot be resolved now, without asking anyone; None when it can.

        A ${prompt} counts as resolvable: it is asked for when the profile is used.
        """
        ref = parse_reference(value)
        if ref is None or ref.kind == "prompt":
            return None
        if ref.kind == "env":
            found = self.env.get(ref.key)
            if found:
                return None
            state = "is empty" if found == "" else "is not set"
            return self._missing(
                ref,
                profile,
                field,
                f"the environment variable {ref.key} {state}: set the environment variable {ref.key} "
                "and try again",
            )
        try:
            found = self._store_get(ref, profile, field)
        except MissingSecret as exc:
            return exc
        return None if found is not None else self._not_stored(ref, profile, field)

    def _store_get(self, ref: Reference, profile: str, field: str) -> str | None:
        if self.store is None:
            raise self._missing(ref, profile, field, "no secret store is available here")
        try:
            return self.store.get(ref.key)
        except ProfileError as exc:
            why = str(exc).rstrip(".")
            raise self._missing(ref, profile, field, why[:1].lower() + why[1:]) from None

    def _not_stored(self, ref: Reference, profile: str, field: str) -> MissingSecret:
        assert self.store is not None
        return self._missing(
            ref,
            profile,
            field,
            f"{self.store.backend_name()} holds nothing under '{ref.key}': "
            f"{self.store.how_to_store(ref.key)}",
        )

    def _ask(self, ref: Reference, profile: str, field: str) -> str:
        key = (profile, field)
        with self._lock:
            if key in self._prompt_cache:
                return self._prompt_cache[key]
        if self.prompt is None:
            raise self._missing(
                ref,
                profile,
                field,
                "it is asked for when used, and nothing can ask for it here: use the window, or write "
                "${env:NAME} or ${secret:KEY} in the profile instead",
            )
        answer = self.prompt(profile, field)
        if answer is None:
            raise self._missing(ref, profile, field, "the prompt was cancelled, so nothing was sent")
        with self._lock:
            self._prompt_cache[key] = answer
        return answer

    @staticmethod
    def _missing(ref: Reference, profile: str, field: str, why: str) -> MissingSecret:
        who = f"The profile '{profile}'" if profile else "This profile"
        where = f" for {field}" if field else ""
        return MissingSecret(
            f"{who} needs {ref}{where}, but {why}.",
            reference=str(ref),
            profile=profile or None,
            field=field or None,
        )
