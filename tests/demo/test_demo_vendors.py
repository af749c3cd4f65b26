"""The demo's vendor-shaped endpoints (inspector/demo/vendors.py), end to end: a real loopback demo server,
the CLI's `send --json` run in-process, and the explanation it prints (issue 15).

Also: the demo requests for these endpoints explain as their titles say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from inspector.cli import main
from inspector.core.diagnosis import explain
from inspector.core.transport import send
from inspector.demo.requests import demo_requests
from inspector.demo.scenarios import DEMO_API_KEY, DEMO_PASSWORD, DEMO_USER
from inspector.demo.server import mint_token
from inspector.demo.vendors import DEMO_VAULT_TOKEN

OPAQUE_SLACK_TOKEN = "xoxb-0000-e2e-not-a-real-token"


@dataclass(frozen=True)
class Row:
    path: str
    verdict: str
    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    token: str | None = None  # a demo token scenario sent as Bearer
    args: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)  # finding id -> expected evidence


def ids(*names: str) -> frozenset[str]:
    return frozenset(names)


GQL = ("-X", "POST", "-H", "Content-Type: application/json")
ROWS: dict[str, Row] = {
    "graphql-not-signed-in": Row(
        "/vendors/graphql",
        "authentication",
        ids("refusal-in-success-body", "no-credentials"),
        args=(*GQL, "-d", '{"query": "{ invoices { id } }"}'),
        evidence={
            "refusal-in-success-body": {
                "status": 200,
                "shape": "graphql",
                "said": "signed in",
                "refused_as": "authentication",
            }
        },
    ),
    "graphql-expired-token": Row(
        "/vendors/graphql",
        "authentication",
        ids("refusal-in-success-body", "token-expired"),
        ids("no-credentials"),
        token="expired",
        args=(*GQL, "-d", '{"query": "{ invoices { id } }"}'),
        evidence={"refusal-in-success-body": {"codes": ["UNAUTHENTICATED"], "family": "expired"}},
    ),
    "graphql-partial-data": Row(
        "/vendors/graphql",
        "authorization",
        ids("refusal-in-success-body", "insufficient-scope"),
        ids("no-credentials"),
        token="missing-scope",
        args=(*GQL, "-d", '{"query": "{ invoices { id } reports { title } }"}'),
        evidence={
            "refusal-in-success-body": {"partial_data": True, "paths": ["reports"], "codes": ["FORBIDDEN"]},
            "insufficient-scope": {"server_said": True},
        },
    ),
    "graphql-healthy": Row(
        "/vendors/graphql",
        "ok",
        absent=ids("refusal-in-success-body"),
        token="valid",
        args=(*GQL, "-d", '{"query": "{ invoices { id } reports { title } }"}'),
    ),
    "rpc-invalid-auth": Row(
        "/vendors/rpc/invoices.list",
        "authentication",
        ids("refusal-in-success-body", "server-error-code"),
        ids("no-credentials"),
        headers=(("Authorization", f"Bearer {OPAQUE_SLACK_TOKEN}"),),
        evidence={
            "refusal-in-success-body": {
                "shape": "rpc",
                "flag": "ok: false",
                "said": "invalid_auth",
                "family": "invalid-key",
            }
        },
    ),
    "rpc-not-authed": Row(
        "/vendors/rpc/invoices.list", "authentication", ids("refusal-in-success-body", "no-credentials")
    ),
    "rpc-token-in-the-query": Row(
        "/vendors/rpc/invoices.list?token={token:expired}",
        "authentication",
        ids("refusal-in-success-body"),
        ids("no-credentials"),
        evidence={"refusal-in-success-body": {"said": "token_expired"}},
    ),
    "rpc-missing-scope": Row(
        "/vendors/rpc/invoices.create",
        "authorization",
        ids("refusal-in-success-body", "insufficient-scope"),
        ids("no-credentials", "authenticated-not-permitted"),
        token="missing-scope",
        args=("-X", "POST"),
        evidence={"insufficient-scope": {"required": ["invoices:write"], "missing": ["invoices:write"]}},
    ),
    "rpc-healthy": Row(
        "/vendors/rpc/invoices.list", "ok", absent=ids("refusal-in-success-body"), token="valid"
    ),
    "audience-in-the-body-403": Row(
        "/vendors/billing/invoices",
        "authentication",
        ids("server-message", "audience-mismatch"),
        ids("authenticated-not-permitted", "no-credentials"),
        token="wrong-audience",
        evidence={
            "server-message": {"wording": "audience"},
            "audience-mismatch": {"expected_from": "server", "actual": ["api://other-service"]},
        },
    ),
    "audience-healthy": Row("/vendors/billing/invoices", "ok", token="valid"),
    "vault-token-not-accepted": Row(
        "/vendors/vault/v1/secret/data/demo/app",
        "authentication",
        ids("server-message"),
        ids("no-credentials", "authenticated-not-permitted"),
        headers=(("X-Vault-Token", "hvs.e2e-not-the-demo-token"),),
        evidence={"server-message": {"wording": "invalid-key"}},
    ),
    "vault-no-token": Row("/vendors/vault/v1/secret/data/demo/app", "authentication", ids("no-credentials")),
    "vault-path-not-permitted": Row(
        "/vendors/vault/v1/secret/data/prod/db",
        "authorization",
        ids("authenticated-not-permitted"),
        ids("no-credentials"),
        headers=(("X-Vault-Token", DEMO_VAULT_TOKEN),),
    ),
    "vault-healthy": Row(
        "/vendors/vault/v1/secret/data/demo/app", "ok", headers=(("X-Vault-Token", DEMO_VAULT_TOKEN),)
    ),
    "gateway-route-not-deployed": Row(
        "/vendors/gateway/prod/order",
        "not-credential-related",
        ids("endpoint-not-found-likely"),
        ids("no-credentials", "authenticated-not-permitted"),
        headers=(("x-api-key", DEMO_API_KEY),),
        evidence={"endpoint-not-found-likely": {"credentials_sent": True, "method": "GET", "status": 403}},
    ),
    "gateway-route-not-deployed-nothing-sent": Row(
        "/vendors/gateway/prod/order",
        "authentication",
        ids("endpoint-not-found-likely", "no-credentials"),
        evidence={"endpoint-not-found-likely": {"credentials_sent": False}},
    ),
    "gateway-healthy": Row("/vendors/gateway/prod/orders", "ok", headers=(("x-api-key", DEMO_API_KEY),)),
    "soap-fault-in-a-200": Row(
        "/vendors/soap",
        "authentication",
        ids("refusal-in-success-body"),
        ids("no-credentials"),
        args=(
            "-X",
            "POST",
            "-H",
            "Content-Type: text/xml",
            "-d",
            f"<soap:Envelope><soap:Header><wsse:Security><wsse:UsernameToken><wsse:Username>{DEMO_USER}"
            "</wsse:Username><wsse:Password>e2e-wrong</wsse:Password></wsse:UsernameToken></wsse:Security>"
            "</soap:Header><soap:Body/></soap:Envelope>",
        ),
        evidence={"refusal-in-success-body": {"shape": "soap", "codes": ["wsse:FailedAuthentication"]}},
    ),
    "soap-healthy": Row(
        "/vendors/soap",
        "ok",
        absent=ids("refusal-in-success-body"),
        args=(
            "-X",
            "POST",
            "-H",
            "Content-Type: text/xml",
            "-d",
            f"<soap:Envelope><soap:Header><wsse:Security><wsse:UsernameToken><wsse:Username>{DEMO_USER}"
            f"</wsse:Username><wsse:Password>{DEMO_PASSWORD}</wsse:Password></wsse:UsernameToken>"
            "</wsse:Security></soap:Header><soap:Body/></soap:Envelope>",
        ),
    ),
}


@pytest.fixture
def hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "empty-netrc"
    netrc.write_text("", encoding="utf-8")
    monkeypatch.setenv("NETRC", str(netrc))  # a real ~/.netrc entry for 127.0.0.1 must not change answers


def _send_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    capsys.readouterr()
    status = main(["send", *argv, "--json"])
    out, err = capsys.readouterr()
    assert status == 0 and "Traceback" not in err, err
    return json.loads(out)  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", list(ROWS))
def test_send_json_explains_the_vendor_endpoint(
    demo_url: str, capsys: pytest.CaptureFixture[str], hermetic: None, name: str
) -> None:
    row = ROWS[name]
    secrets: list[str] = [DEMO_VAULT_TOKEN, DEMO_API_KEY, DEMO_PASSWORD, OPAQUE_SLACK_TOKEN]
    path = row.path
    if "{token:expired}" in path:
        minted = mint_token(demo_url, "expired")
        secrets.append(minted)
        path = path.replace("{token:expired}", minted)
    argv = [demo_url + path, *row.args]
    if row.token is not None:
        minted = mint_token(demo_url, row.token)
        secrets.append(minted)
        argv += ["-H", f"Authorization: Bearer {minted}"]
    for name_, value in row.headers:
        argv += ["-H", f"{name_}: {value}"]

    doc = _send_json(capsys, argv)
    diagnosis = doc["diagnosis"]
    findings = {f["id"]: f for f in diagnosis["findings"]}
    assert diagnosis["verdict"] == row.verdict, (diagnosis["summary"], list(findings))
    assert row.present <= set(findings), (row.present - set(findings), diagnosis["summary"])
    assert not (row.absent & set(findings)), (row.absent & set(findings), diagnosis["summary"])
    assert diagnosis["summary"].endswith((".", ")"))
    for fid, expected in row.evidence.items():
        evidence = findings[fid]["evidence"]
        for key, want in expected.items():
            got = evidence[key]
            assert (want in got) if isinstance(want, str) and isinstance(got, str) else got == want, (
                key,
                got,
            )
    if "refusal-in-success-body" in findings:
        assert doc["response"]["status"] == 200
    text = json.dumps(doc)
    for secret in secrets:  # masked wherever they appear: a token keeps at most its first 6 characters
        assert secret not in text


# The demo requests of the window (and of the demo collection) for these endpoints, by title: the verdict and
# the finding each one is there to show.
DEMO_TITLES: dict[str, tuple[str, str]] = {
    "200 GraphQL: not signed in (UNAUTHENTICATED inside a 200)": (
        "authentication",
        "refusal-in-success-body",
    ),
    "200 GraphQL: partial data, one field refused (FORBIDDEN)": ("authorization", "refusal-in-success-body"),
    "200 RPC: ok false, invalid_auth (Slack style)": ("authentication", "refusal-in-success-body"),
    "200 RPC: ok false, missing_scope": ("authorization", "insufficient-scope"),
    "403 Wrong audience named only in the body": ("authentication", "server-message"),
    "403 Vault: the X-Vault-Token is not accepted": ("authentication", "server-message"),
    "403 Vault: token accepted, path not permitted": ("authorization", "authenticated-not-permitted"),
    "403 API Gateway: Missing Authentication Token for a path it does not have": (
        "not-credential-related",
        "endpoint-not-found-likely",
    ),
    "200 SOAP fault inside a 200 (WS-Security FailedAuthentication)": (
        "authentication",
        "refusal-in-success-body",
    ),
}


def test_the_demo_requests_for_vendor_endpoints_explain_as_titled(demo_url: str, hermetic: None) -> None:
    requests_by_title = dict(demo_requests(demo_url))
    assert set(DEMO_TITLES) <= set(requests_by_title)
    for title, (verdict, finding) in DEMO_TITLES.items():
        d = explain(send(requests_by_title[title]))
        assert d.verdict == verdict and finding in d.finding_ids, (title, d.verdict, d.finding_ids, d.summary)
        assert "no-credentials" not in d.finding_ids or "not signed in" in title, title


def test_the_index_lists_the_vendor_endpoints(demo_url: str) -> None:
    import requests

    listed = {e["path"] for e in requests.get(f"{demo_url}/", timeout=10).json()["vendors"]}
    assert {
        "/vendors/graphql",
        "/vendors/rpc/METHOD",
        "/vendors/billing/invoices",
        "/vendors/soap",
        "/vendors/vault/v1/secret/data/PATH",
        "/vendors/gateway/prod/orders",
    } == listed


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/vendors/graphql", b"{}", 400),
        ("POST", "/vendors/graphql", b'{"query": "{ nothing }"}', 400),
        ("GET", "/vendors/rpc/no.such.method", b"", 200),
        ("DELETE", "/vendors/soap", b"", 405),
    ],
)
def test_vendor_endpoints_answer_bad_requests_plainly(
    demo_url: str, method: str, path: str, body: bytes, status: int
) -> None:
    import requests

    r = requests.request(method, demo_url + path, data=body, timeout=10)
    assert r.status_code == status
    assert r.headers["Content-Type"].startswith("application/json")
