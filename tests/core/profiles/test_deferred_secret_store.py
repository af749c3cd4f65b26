"""DeferredSecretStore: the secret store is chosen when a secret is first needed, once, on any thread."""

from __future__ import annotations

import threading
from pathlib import Path

from inspector.core.profiles import FileSecretStore, Resolver
from inspector.core.profiles.secrets import DeferredSecretStore


def test_nothing_is_chosen_until_a_secret_is_read_then_once(tmp_path: Path) -> None:
    calls: list[int] = []

    def choose() -> FileSecretStore:
        calls.append(1)
        return FileSecretStore(tmp_path / "data")

    store = DeferredSecretStore(choose)
    resolver = Resolver(store, env={"TOKEN": "t0ken"})
    assert resolver.resolve("${env:TOKEN}", profile="p", field="token") == "t0ken"  # not a ${secret:...}
    assert not store.chosen and calls == []
    store.set("api-key", "s3cret")
    assert store.chosen and calls == [1]
    assert store.get("api-key") == "s3cret" and store.get("missing") is None
    assert "readable only by you" in store.backend_name() and store.usable()
    store.delete("api-key")
    assert store.get("api-key") is None
    assert isinstance(store.resolved(), FileSecretStore) and calls == [1]


def test_threads_racing_for_the_first_secret_choose_once(tmp_path: Path) -> None:
    calls: list[int] = []
    gate = threading.Barrier(4)

    def choose() -> FileSecretStore:
        calls.append(1)
        return FileSecretStore(tmp_path / "data")

    store = DeferredSecretStore(choose)
    seen: list[object] = []

    def read() -> None:
        gate.wait(5)
        seen.append(store.resolved())

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert calls == [1] and len(seen) == 4 and len({id(s) for s in seen}) == 1
