"""import -> export (Postman v2.1) -> import keeps every request, folder, variable and auth mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from inspector.core.collections.export import to_postman
from inspector.core.collections.importers import import_file
from inspector.core.collections.model import Collection, Folder, SavedRequest
from inspector.core.collections.resolve import choose_profile
from inspector.core.collections.store import load_collection
from inspector.core.errors import ProfileError
from inspector.core.profiles.store import ProfileStore

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


def profile_lookup(root: Path) -> Any:
    store = ProfileStore(root / "profiles" / ".none", [root / "profiles"])
    profiles, problems = store.load_all()
    assert problems == []

    def find(name: str) -> Any:
        try:
            return store.find(name, profiles)
        except ProfileError:
            return None

    return find


def describe(root: Path) -> dict[str, Any]:
    """Everything a round trip must keep, independent of file names."""
    collection, problems = load_collection(root)
    assert problems == []
    find = profile_lookup(root)

    def profile(name: str | None) -> Any:
        if not name:
            return name
        p = find(name)
        assert p is not None, name
        return (p.name, p.kind, dict(p.credentials))

    def request(parents: tuple[Folder, ...], r: SavedRequest) -> dict[str, Any]:
        choice = choose_profile(collection, parents, r)
        return {
            "name": r.name,
            "method": r.method,
            "url": r.url,
            "params": r.params,
            "headers": r.headers,
            "body": r.body,
            "vars": dict(r.vars),
            "expect_status": r.expect_status,
            "description": r.description,
            "profile": r.profile,
            "sent_with": (choice.source, profile(choice.name)),
        }

    def folder(f: Folder | Collection, parents: tuple[Folder, ...]) -> dict[str, Any]:
        items = []
        for item in f.items:
            if isinstance(item, Folder):
                items.append(folder(item, (*parents, item)))
            else:
                items.append(request(parents, item))
        return {
            "name": f.name,
            "profile": profile(f.profile),
            "vars": dict(f.vars),
            "items": items,
            "description": f.description,
        }

    return folder(collection, ())


@pytest.mark.parametrize(
    "source",
    [
        "postman-v21-billing.json",
        "postman-v20-legacy.json",
        "insomnia-v4-orders.json",
        "openapi-3.0-petstore.yaml",
        "curl-commands.sh",
        "browser-recording.har",
    ],
)
def test_import_export_import_keeps_everything(tmp_path: Path, source: str) -> None:
    first = tmp_path / "first"
    report = import_file(FIXTURES / source, into=first)
    collection, _ = load_collection(first)
    export = to_postman(collection, profiles=profile_lookup(first))
    exported = tmp_path / "exported.postman_collection.json"
    exported.write_text(export.text(), encoding="utf-8")
    assert json.loads(exported.read_text(encoding="utf-8"))["info"]["schema"].endswith(
        "v2.1.0/collection.json"
    )
    second = tmp_path / "second"
    again = import_file(exported, into=second)
    assert again.format == "postman-2.1"
    assert describe(second) == describe(first)
    assert (again.folders, again.requests) == (report.folders, report.requests)
    # profiles no request uses (an OpenAPI scheme nothing requires) have no place in a Postman file
    assert set(again.profiles) <= set(report.profiles)
    if not report.environments:  # environments are not part of a Postman collection
        assert again.variables == report.variables
    # the references the first import asked for (outside environments and unused profiles) are asked for again
    kept = {
        r.reference
        for r in report.references
        if not r.for_.startswith("environment")
        and not any(r.for_.startswith(f"profile {name} ") for name in _unused_profiles(first, report))
    }
    assert kept <= {r.reference for r in again.references}
    # nothing new is lost on the way back; only a multipart field without a file is pointed out again
    assert all(n.what.startswith("form field ") for n in again.not_imported)


def _unused_profiles(root: Path, report: Any) -> set[str]:
    find = profile_lookup(root)
    names = {find(f.removesuffix(".toml")).name for f in report.profiles}
    used = set()
    for item in describe(root)["items"]:
        stack = [item]
        while stack:
            current = stack.pop()
            stack.extend(current.get("items", []))
            for key in ("profile", "sent_with"):
                value = current.get(key)
                if key == "sent_with" and value:
                    value = value[1]
                if isinstance(value, tuple):
                    used.add(value[0])
    collection_profile = describe(root)["profile"]
    if isinstance(collection_profile, tuple):
        used.add(collection_profile[0])
    return names - used


def test_exporting_one_folder(tmp_path: Path) -> None:
    root = tmp_path / "billing"
    import_file(FIXTURES / "postman-v21-billing.json", into=root)
    collection, _ = load_collection(root)
    admin = next(i for i in collection.items if isinstance(i, Folder) and i.name == "Admin")
    doc = to_postman(collection, admin, profile_lookup(root)).document
    assert doc["info"]["name"] == "Admin"
    assert [i["name"] for i in doc["item"]] == [
        "List users",
        "Health (no auth)",
        "Upload logo",
        "Signed export",
    ]
    assert doc["auth"]["type"] == "basic"
    assert doc["item"][1]["request"]["auth"] == {"type": "noauth"}
    password = next(a for a in doc["auth"]["basic"] if a["key"] == "password")["value"]
    assert password.startswith("${secret:")  # a reference, never a value


def test_a_profile_that_cannot_be_found_is_a_warning_not_a_guess(tmp_path: Path) -> None:
    root = tmp_path / "billing"
    import_file(FIXTURES / "postman-v21-billing.json", into=root)
    collection, _ = load_collection(root)
    export = to_postman(collection, profiles=lambda name: None)
    assert "auth" not in export.document
    assert any("Billing API (bearer)" in w and "not found" in w for w in export.warnings)
