"""Secret references and their stores: the 0600 file fallback, a real keyring backend, resolution messages."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail
from keyring.errors import PasswordDeleteError

from inspector.core.errors import ProfileError
from inspector.core.profiles.secrets import (
    FileSecretStore,
    KeyringSecretStore,
    MissingSecret,
    Reference,
    Resolver,
    choose_secret_store,
    default_secret_store,
    is_reference,
    parse_reference,
)


class JsonFileKeyring(KeyringBackend):
    """A real keyring backend (the keyring package's API) persisting to a JSON file: no OS keyring needed."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _load(self) -> dict[str, str]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\0{username}"] = password
        self.path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}\0{username}", None) is None:
            raise PasswordDeleteError("not found")
        self.path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("${env:API_TOKEN}", Reference("env", "API_TOKEN")),
        ("${secret:billing-staging}", Reference("secret", "billing-staging")),
        ("${secret:team/github.com:me}", Reference("secret", "team/github.com:me")),
        ("${prompt}", Reference("prompt")),
        ("plain-literal", None),
        ("", None),
        ("$env:X", None),
    ],
)
def test_parse_reference(text: str, ref: Reference | None) -> None:
    assert parse_reference(text) == ref
    if ref is not None:
        assert str(ref) == text


@pytest.mark.parametrize(
    "text", ["${env:}", "${env:1BAD}", "${vault:x}", "${prompt:x}", "${secret:a b}", "${env:X"]
)
def test_malformed_references_are_errors(text: str) -> None:
    with pytest.raises(ProfileError, match="env:NAME|variable name"):
        parse_reference(text)
    assert not is_reference(text)


def test_file_store_is_0600_in_a_0700_folder(file_store: FileSecretStore) -> None:
    assert file_store.get("k") is None
    file_store.set("k", "value-1")
    file_store.set("other", "value-2")
    assert file_store.get("k") == "value-1"
    assert stat.S_IMODE(file_store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(file_store.data_dir.stat().st_mode) == 0o700
    assert [p.name for p in file_store.data_dir.iterdir()] == ["secrets.json"]  # no temp file left
    file_store.delete("k")
    file_store.delete("never-there")
    assert file_store.get("k") is None and file_store.get("other") == "value-2"
    assert FileSecretStore(file_store.data_dir).get("other") == "value-2"  # persisted, not in memory


def test_file_store_tightens_a_lax_file_on_write(file_store: FileSecretStore) -> None:
    file_store.set("k", "v")
    file_store.path.chmod(0o644)
    file_store.set("k", "w")
    assert stat.S_IMODE(file_store.path.stat().st_mode) == 0o600


def test_damaged_file_store_is_a_clear_error(file_store: FileSecretStore) -> None:
    file_store.data_dir.mkdir(parents=True)
    file_store.path.write_text("{not json")
    with pytest.raises(ProfileError, match="damaged"):
        file_store.get("k")


def test_keyring_store_with_a_real_backend(tmp_path: Path) -> None:
    store = KeyringSecretStore(JsonFileKeyring(tmp_path / "kr.json"))
    assert store.usable()
    store.set("billing", "s3cr3t")
    assert store.get("billing") == "s3cr3t"
    assert json.loads((tmp_path / "kr.json").read_text()) == {"request-inspector\0billing": "s3cr3t"}
    store.delete("billing")
    store.delete("billing")  # already gone: no error
    assert store.get("billing") is None
    assert "keyring set request-inspector KEY" in store.how_to_store("KEY")


class EmptyChainer(chainer.ChainerBackend):
    backends: tuple[KeyringBackend, ...] = ()  # what a headless Linux has: nothing to chain


@pytest.mark.parametrize("backend", [fail.Keyring(), EmptyChainer()], ids=["fail", "empty-chainer"])
def test_headless_keyring_falls_back_to_the_file(tmp_path: Path, backend: KeyringBackend) -> None:
    assert not KeyringSecretStore(backend).usable()
    store = default_secret_store(tmp_path / "data", backend)
    assert isinstance(store, FileSecretStore)
    assert "local file" in store.backend_name() and str(tmp_path / "data") in store.backend_name()


def test_usable_keyring_is_chosen_first(tmp_path: Path) -> None:
    class OneChainer(chainer.ChainerBackend):
        backends = (JsonFileKeyring(tmp_path / "chained.json"),)

    assert KeyringSecretStore(OneChainer()).usable()
    store = default_secret_store(tmp_path / "data", JsonFileKeyring(tmp_path / "kr.json"))
    assert isinstance(store, KeyringSecretStore)
    assert store.backend_name().startswith("the system keyring")
    assert choose_secret_store([FileSecretStore(tmp_path / "d")]).usable()


def test_resolve_env_secret_prompt_and_literal(file_store: FileSecretStore) -> None:
    asked: list[tuple[str, str]] = []

    def prompt(profile: str, field: str) -> str:
        asked.append((profile, field))
        return "typed-in"

    file_store.set("billing", "from-the-file")
    r = Resolver(file_store, env={"TOKEN": "from-env"}, prompt=prompt)
    assert r.resolve("${env:TOKEN}") == "from-env"
    assert r.resolve("${secret:billing}") == "from-the-file"
    assert r.resolve("literal") == "literal"
    assert r.resolve("${prompt}", profile="P", field="credentials.password") == "typed-in"
    assert r.resolve("${prompt}", profile="P", field="credentials.password") == "typed-in"
    assert asked == [("P", "credentials.password")]  # asked once per run, then kept in memory
    r.forget_prompts()
    r.resolve("${prompt}", profile="P", field="credentials.password")
    assert len(asked) == 2
    assert not (file_store.data_dir / "prompt").exists()
    assert "typed-in" not in file_store.path.read_text()  # prompt answers never reach disk


@pytest.mark.parametrize(
    ("ref", "env", "prompt", "words"),
    [
        ("${env:BILLING_TOKEN}", {}, None, "set the environment variable BILLING_TOKEN"),
        ("${env:BILLING_TOKEN}", {"BILLING_TOKEN": ""}, None, "BILLING_TOKEN is empty"),
        (
            "${secret:billing}",
            {},
            None,
            "holds nothing under 'billing': store it under 'billing' with the profiles",
        ),
        ("${prompt}", {}, None, "nothing can ask for it here"),
        ("${prompt}", {}, lambda p, f: None, "the prompt was cancelled"),
    ],
)
def test_missing_secret_says_how_to_provide_it(file_store, ref, env, prompt, words) -> None:
    r = Resolver(file_store, env=env, prompt=prompt)
    with pytest.raises(MissingSecret) as info:
        r.resolve(ref, profile="Billing", field="credentials.client_secret")
    message = str(info.value)
    assert message.startswith(f"The profile 'Billing' needs {ref} for credentials.client_secret, but ")
    assert words in message
    assert info.value.reference == ref and info.value.field == "credentials.client_secret"


def test_missing_secret_in_the_keyring_names_the_keyring_command(tmp_path: Path) -> None:
    r = Resolver(KeyringSecretStore(JsonFileKeyring(tmp_path / "kr.json")), env={})
    with pytest.raises(MissingSecret, match="`keyring set request-inspector billing`"):
        r.resolve("${secret:billing}")


def test_missing_does_not_prompt(file_store: FileSecretStore) -> None:
    def prompt(profile: str, field: str) -> str:
        raise AssertionError("check must never ask")

    r = Resolver(file_store, env={}, prompt=prompt)
    assert r.missing("${prompt}") is None
    assert isinstance(r.missing("${env:NOPE}"), MissingSecret)


def test_a_locked_keyring_is_a_missing_secret_not_a_crash() -> None:
    from keyring.errors import KeyringLocked

    class LockedKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            raise KeyringLocked("the login keyring is locked")

        def set_password(self, service: str, username: str, password: str) -> None:
            raise KeyringLocked("the login keyring is locked")

        def delete_password(self, service: str, username: str) -> None:
            raise KeyringLocked("the login keyring is locked")

    r = Resolver(KeyringSecretStore(LockedKeyring()), env={})
    problem = r.missing("${secret:billing}", profile="Billing")
    assert isinstance(problem, MissingSecret)
    assert "could not be read" in str(problem) and "Unlock the keyring" in str(problem)
    with pytest.raises(MissingSecret):
        r.resolve("${secret:billing}")
    with pytest.raises(ProfileError, match="refused to store"):
        KeyringSecretStore(LockedKeyring()).set("k", "v")


def test_find_with_a_name_that_is_no_path(tmp_path: Path) -> None:
    from inspector.core.profiles.store import ProfileStore

    with pytest.raises(ProfileError, match="No profile is called"):
        ProfileStore(tmp_path, []).find("bad\0name")
