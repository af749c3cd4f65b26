"""Postman Collection v2.0/v2.1 and environment files, shaped like real exports (tests/fixtures/import)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector.core.collections.importers import ImportError_, import_file
from inspector.core.collections.model import Folder
from inspector.core.collections.resolve import all_requests, choose_profile
from inspector.core.collections.store import load_collection
from inspector.core.profiles.store import ProfileStore
from inspector.core.request import Header

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"

# every secret value the billing fixture holds: none of them may reach a written file
BILLING_SECRETS = (
    "s3cr3t-admin-pass",
    "whsec_live_1234567890",
    "hunter2-hunter2",
    "9f8e7d6c5b4a3f2e1d0c",
    "eyJhbGciOiJIUzI1NiJ9",
    "c2lnbmF0dXJlLXZhbHVlLWhlcmU",
)


def all_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(root.rglob("*")) if p.is_file())


def profiles_of(root: Path) -> dict[str, object]:
    store = ProfileStore(root / "profiles" / ".none", [root / "profiles"])
    loaded, problems = store.load_all()
    assert problems == []
    return {p.name: p for p in loaded}


@pytest.fixture
def billing(tmp_path: Path) -> tuple[Path, dict]:
    into = tmp_path / "billing"
    report = import_file(FIXTURES / "postman-v21-billing.json", into=into)
    return into, report.to_json()


def by_name(root: Path) -> dict[str, tuple[tuple[Folder, ...], object]]:
    collection, problems = load_collection(root)
    assert problems == []
    out: dict[str, tuple[tuple[Folder, ...], object]] = {}
    for parents, r in all_requests(collection):
        out.setdefault(r.name, (parents, r))  # the first of two same names ("profiles/List invoices")
    return out


def test_the_report_counts_what_was_written(billing) -> None:
    into, report = billing
    assert report["format"] == "postman-2.1"
    assert report["into"] == str(into)
    assert (report["folders"], report["requests"]) == (5, 14)
    assert report["profiles"] == [
        "billing-api-bearer.toml",
        "billing-api-basic.toml",
        "billing-api-oauth2-client-credentials.toml",
        "billing-api-api-key.toml",
        "billing-api-bearer-token.toml",
    ]
    assert all((into / "profiles" / name).is_file() for name in report["profiles"])
    # base_url tenant access_token webhook_secret api_version cookie password + invoice_id line
    assert report["variables"] == 9
    assert report["environments"] == []
    assert set(report) >= {
        "format",
        "into",
        "folders",
        "requests",
        "profiles",
        "variables",
        "environments",
        "not_imported",
        "references",
    }


def test_no_secret_value_reaches_any_written_file(billing) -> None:
    into, report = billing
    text = all_text(into)
    for secret in BILLING_SECRETS:
        assert secret not in text, secret
    assert secret not in json.dumps(report)


def test_collection_folder_and_request_auth_map_to_profiles(billing) -> None:
    into, report = billing
    profiles = profiles_of(into)
    collection, _ = load_collection(into)
    assert collection.name == "Billing API"  # surrounding spaces stripped
    assert collection.profile == "Billing API (bearer)"
    bearer = profiles["Billing API (bearer)"]
    assert bearer.kind == "bearer" and bearer.credentials["token"] == "${secret:billing-api.access_token}"
    basic = profiles["Billing API (basic)"]
    assert basic.credentials == {
        "username": "admin",
        "password": "${secret:billing-api.billing-api-basic.password}",
    }
    oauth = profiles["Billing API (oauth2 client credentials)"]
    assert oauth.kind == "oauth2-client-credentials"
    assert oauth.credentials["token_url"] == "{{auth_url}}/oauth/token"  # {{vars}} stay in non-secret fields
    assert oauth.credentials["client_secret"] == "${secret:billing-api.reports_client_secret}"
    assert oauth.credentials["auth"] == "body"
    api_key = profiles["Billing API (api key)"]
    assert dict(api_key.credentials) == {
        "name": "api_key",
        "value": "${secret:billing-api.search_api_key}",
        "in": "query",
    }
    refs = {(r["reference"], r["for"]) for r in report["references"]}
    assert ("${secret:billing-api.access_token}", "profile Billing API (bearer) field token") in refs
    assert ("${secret:billing-api.webhook_secret}", "collection Billing API variable webhook_secret") in refs


def test_inherited_auth_and_noauth_overrides(billing) -> None:
    into, _ = billing
    collection, _ = load_collection(into)
    requests = by_name(into)

    def chosen(name: str) -> tuple[str | None, str]:
        parents, request = requests[name]
        choice = choose_profile(collection, parents, request)  # type: ignore[arg-type]
        return choice.name, choice.source

    assert chosen("List users") == ("Billing API (basic)", "folder")  # folder auth, inherited
    assert chosen("Health (no auth)") == (None, "request")  # noauth inside an authenticated folder
    assert chosen("Ping") == ("Billing API (bearer)", "collection")
    assert chosen("GraphQL report") == ("Billing API (oauth2 client credentials)", "folder")
    assert chosen("Search (API key in query)") == ("Billing API (api key)", "request")
    assert chosen("Signed export") == (
        None,
        "request",
    )  # awsv4: no profile kind, so none rather than a wrong one
    # "noauth" plus a hand-written Authorization header: the header was the credential, now a profile
    assert chosen("Login form") == ("Billing API (bearer token)", "request")


def test_urls_with_variables_everywhere_and_path_variables(billing) -> None:
    into, _ = billing
    requests = by_name(into)
    listing = requests["List invoices"][1]
    assert listing.url == "{{base_url}}/api/{{api_version}}/invoices"  # the query moved to params
    assert [(p.name, p.value, p.enabled) for p in listing.params] == [
        ("tenant", "{{tenant}}", True),
        ("limit", "50", True),
        ("status", "open", False),
    ]
    assert listing.headers == (
        Header("Accept", "application/json"),
        Header("X-Tenant", "{{tenant}}"),
        Header("X-Debug", "1", enabled=False),
    )
    assert requests["List users"][1].url == "{{scheme}}://{{host}}:{{port}}/admin/users"
    get = requests["Get invoice"][1]
    assert get.url == "{{base_url}}/api/invoices/{{invoice_id}}/lines/{{line}}"
    assert dict(get.vars) == {"invoice_id": "inv_001", "line": "3"}
    assert requests["Ping"][1].url == "{{base_url}}/ping"
    search = requests["Search (API key in query)"][1]
    assert search.url == "https://search.example.com/v1/find" and search.params[0].name == "q"


def test_bodies_of_every_mode(billing) -> None:
    into, report = billing
    requests = by_name(into)
    create = requests["Create invoice"][1]
    assert create.body.kind == "json" and '"tenant": "{{tenant}}"' in create.body.text
    assert create.expect_status == 201  # a status-only test script
    logo = requests["Upload logo"][1].body
    assert logo.kind == "multipart"
    assert [(f.name, f.file, f.value, f.enabled) for f in logo.fields] == [
        ("logo", "/home/grace/logo.png", "", True),
        ("caption", None, "Our logo", True),
        ("draft", None, "true", False),
        ("attachment", "", "", True),
    ]
    gql = json.loads(requests["GraphQL report"][1].body.text.replace("{{report_id}}", "r1"))
    assert gql == {"query": "query Report($id: ID!) { report(id: $id) { total } }", "variables": {"id": "r1"}}
    xml = requests["Report as XML"][1].body
    assert (xml.kind, xml.text, xml.content_type) == ("text", '<report id="1"/>', "application/xml")
    assert (requests["Upload CSV"][1].body.kind, requests["Upload CSV"][1].body.file) == (
        "file",
        "reports/2024.csv",
    )
    login = requests["Login form"][1]
    assert login.body.kind == "form"
    assert [(f.name, f.value, f.enabled) for f in login.body.fields] == [
        ("username", "grace", True),
        ("password", "{{password}}", True),
        ("remember", "yes", False),
    ]
    assert login.headers == (Header("Cookie", "{{cookie}}"),)


def test_scripts_and_what_else_was_not_carried_over_are_listed(billing) -> None:
    _, report = billing
    listed = {(n["item"], n["what"]): n["why"] for n in report["not_imported"]}
    assert ("collection", "pre-request script") in listed
    why = listed[("Invoices/List invoices", "test script")]
    assert "not run" in why and "{{cursor}}" in why and "{{invoice_id}}" in why
    assert ("Invoices/List invoices", "2 saved example responses") in listed
    assert ("Admin/Signed export", "awsv4 auth") in listed
    assert ("collection", "variable old_var") in listed
    assert ("Reports/Search (API key in query)", "URL fragment") in listed
    assert ("Admin/Upload logo", "form field attachment") in listed
    assert not any(what == "test script" for item, what in listed if item == "Invoices/Create invoice")


def test_folders_keep_their_order_names_and_empty_ones(billing) -> None:
    into, _ = billing
    collection, _ = load_collection(into)
    assert [i.name for i in collection.items] == ["Invoices", "Admin", "Reports", "profiles", "Ping"]
    renamed = next(i for i in collection.items if i.name == "profiles")
    assert isinstance(renamed, Folder) and renamed.path == into / "profiles-2"
    invoices = collection.items[0]
    assert isinstance(invoices, Folder)
    assert [i.name for i in invoices.items] == ["List invoices", "Get invoice", "Create invoice", "Archive"]
    assert (into / "invoices" / "archive" / "folder.toml").is_file()
    assert invoices.description == "Invoices and their lines."


def test_postman_v20_style(tmp_path: Path) -> None:
    into = tmp_path / "legacy"
    report = import_file(FIXTURES / "postman-v20-legacy.json", into=into).to_json()
    assert report["format"] == "postman-2.0"
    collection, problems = load_collection(into)
    assert problems == []
    requests = {r.name: (ps, r) for ps, r in all_requests(collection)}
    products = requests["Products"][1]
    assert products.headers == (Header("Accept", "application/json"), Header("X-Client", "legacy"))
    assert products.url == "https://{{host}}/products" and products.params[0].name == "page"
    assert products.description == "All products."
    profiles = profiles_of(into)
    assert profiles[collection.profile].kind == "digest"  # type: ignore[index]
    add = requests["Add product"][1]
    assert profiles[add.profile].credentials["token"] == "${secret:legacy-shop.admin_token}"  # type: ignore[index]
    assert [(f.name, f.value) for f in add.body.fields] == [("name", "Teapot"), ("price", "18")]
    assert requests["Status"][1].profile == ""


def test_a_postman_environment_goes_into_an_existing_collection(tmp_path: Path) -> None:
    into = tmp_path / "billing"
    import_file(FIXTURES / "postman-v21-billing.json", into=into)
    report = import_file(FIXTURES / "postman-environment-staging.json", into=into).to_json()
    assert report["format"] == "postman-environment" and report["environments"] == ["Billing Staging"]
    assert report["variables"] == 4
    collection, _ = load_collection(into)
    env = collection.environment("Billing Staging")
    assert env.path == into / "environments" / "billing-staging.toml"
    assert dict(env.vars) == {
        "base_url": "https://billing.staging.example.com",
        "tenant": "t-42",
        "access_token": "${secret:billing-api.billing-staging.access_token}",  # a JWT, and named like a token
        "client_key": "${secret:billing-api.billing-staging.client_key}",  # type = secret
    }
    text = env.path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert "ck_live_abcdef" not in text and "eyJhbGciOiJSUzI1NiJ9" not in text
    assert {
        "item": "environment Billing Staging",
        "what": "variable retired",
        "why": "it is disabled in Postman.",
    } in report["not_imported"]
    assert {r["for"] for r in report["references"]} == {
        "environment Billing Staging variable access_token",
        "environment Billing Staging variable client_key",
    }
    with pytest.raises(ImportError_, match="already exists"):
        import_file(FIXTURES / "postman-environment-staging.json", into=into)


def test_a_postman_environment_needs_into(tmp_path: Path) -> None:
    with pytest.raises(ImportError_, match="--into"):
        import_file(FIXTURES / "postman-environment-staging.json", collections_dir=tmp_path)


def test_folders_nested_absurdly_deep_are_cut_and_listed(tmp_path: Path) -> None:
    item: dict = {"name": "leaf", "request": {"method": "GET", "url": "http://example.com/"}}
    for depth in range(200):
        item = {"name": f"level {depth}", "item": [item]}
    source = tmp_path / "deep.json"
    source.write_text(json.dumps({"info": {"name": "Deep", "schema": "https://schema.getpostman.com/json/collection/"
                                                                     "v2.1.0/collection.json"}, "item": [item]}))
    report = import_file(source, into=tmp_path / "deep").to_json()
    assert report["folders"] == 32 and report["requests"] == 0
    assert any(n["what"] == "folder" and "32 folders deep" in n["why"] for n in report["not_imported"])
    collection, problems = load_collection(tmp_path / "deep")
    assert problems == []
