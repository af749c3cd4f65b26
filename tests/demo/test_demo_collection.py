"""The demo collection in resources/: readable through inspector.assets, grouped, free of secrets, and it
passes against the demo API."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.assets import resource
from inspector.cli import main
from inspector.core.collections.resolve import all_requests
from inspector.core.collections.secrecy import request_literal_secrets, variables_literal_secrets
from inspector.core.collections.store import load_collection
from inspector.demo.collection import DEFAULT_BASE_URL, demo_collection_dir


def test_the_demo_collection_is_a_resource() -> None:
    folder = resource("collections", "demo")
    assert folder.joinpath("collection.toml").is_file()
    assert demo_collection_dir() == Path(str(folder))


def test_it_loads_grouped_with_an_environment_for_the_demo_server() -> None:
    collection, problems = load_collection(demo_collection_dir())
    assert problems == []
    assert collection.document.get("demo") is True
    assert [i.name for i in collection.items] == [
        "Start here",
        "401s",
        "403s",
        "Beyond the status line",
        "Step-up",
        "Transport",
        "Auth schemes",
        "Basics",
        "Incident: burst",
    ]
    assert collection.environment("demo").vars["base_url"] == DEFAULT_BASE_URL
    requests = [r for _, r in all_requests(collection)]
    assert len(requests) > 50
    assert all(r.expect_status == int(r.name[:3]) for r in requests)  # run passes when the demo behaves


def test_no_file_of_it_holds_a_literal_secret() -> None:
    collection, _ = load_collection(demo_collection_dir())
    assert variables_literal_secrets(collection.vars) == []
    for env in collection.environments:
        assert variables_literal_secrets(env.vars) == []
    for _, request in all_requests(collection):
        assert request_literal_secrets(request) == [], request.name


@pytest.mark.parametrize(
    "folder",
    ["Start here", "401s", "403s", "Beyond the status line", "Step-up", "Auth schemes", "Incident: burst"],
)
def test_each_group_passes_against_the_demo_api(demo_url: str, capsys, folder: str) -> None:
    code = main(
        [
            "run",
            str(demo_collection_dir()),
            "--env",
            "demo",
            "--var",
            f"base_url={demo_url}",
            "--folder",
            folder,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "FAIL" not in out
