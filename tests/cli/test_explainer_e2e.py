"""Issue 3, end to end: every verdict and every catalogue finding id from `send --json` (in-process) against
the demo API, with its evidence, and never a raw secret on stdout.

One row per verdict / finding id (some ids have a second row for another way the evidence arrives). The only id
that cannot come from the CLI here is `credentials-over-http` (it needs a non-loopback host, and tests only talk
to 127.0.0.1): it is proved on a recorded demo exchange moved to a non-loopback URL, through explain().
"""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from inspector.core.diagnosis import VERDICTS, explain
from inspector.core.diagnosis.findings import FINDING_IDS
from inspector.core.request import Header, RequestSpec
from inspector.core.transport import send
from inspector.demo.scenarios import DEMO_AUDIENCE, DEMO_PASSWORD, DEMO_USER
from inspector.demo.server import DemoServer, mint_token
from tests.support.cli import Cli, CliResult

UNFILLED = re.compile(r"(?<![\w)])\?")  # a template field the explainer could not fill renders as a lone '?'


@dataclass
class Ctx:
    """What a row's setup may use and add to: the demo, a tmp folder, extra args, env and secrets to hide."""

    base: str
    tmp: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)

    def bearer(self, scenario: str, prefix: str = "Bearer ") -> None:
        token = mint_token(self.base, scenario)
        self.secrets.append(token)
        self.args += ["-H", f"Authorization: {prefix}{token}"]

    def basic(self, user_password: bytes) -> None:
        import base64

        value = base64.b64encode(user_password).decode("ascii")
        self.secrets.append(value)
        self.args += ["-H", f"Authorization: Basic {value}"]


Setup = Callable[[Ctx], None]


@dataclass(frozen=True)
class Row:
    finding: str | None  # the catalogue id this row proves (None: a verdict-only row)
    verdict: str
    path: str  # under the demo's base URL; "{closed}" is a URL where nothing listens
    setup: Setup = lambda ctx: None
    evidence: dict[str, Any] = field(default_factory=dict)  # expected values, or predicates on them
    absent: tuple[str, ...] = ()  # ids that must NOT be there (the evidence points elsewhere)
    args: tuple[str, ...] = ()


def token(scenario: str, prefix: str = "Bearer ") -> Setup:
    return lambda ctx: ctx.bearer(scenario, prefix)


def _netrc(ctx: Ctx) -> None:
    ctx.bearer("valid")
    netrc = ctx.tmp / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {DEMO_USER} password {DEMO_PASSWORD}\n", encoding="utf-8")
    netrc.chmod(0o600)
    ctx.env["NETRC"] = str(netrc)
    ctx.secrets.append(DEMO_PASSWORD)


def _profile_with_jwks(scenario: str) -> Setup:
    """A bearer profile whose [expect] names the demo's JWKS: the CLI's only way to check a signature on send."""

    def setup(ctx: Ctx) -> None:
        folder = ctx.tmp / "profiles"
        folder.mkdir(exist_ok=True)
        (folder / "jwks-checked.toml").write_text(
            f'format = 1\nname = "jwks-checked"\nkind = "bearer"\nbase_url = "{ctx.base}"\n\n'
            '[credentials]\ntoken = "${env:E2E_TOKEN}"\nprefix = "Bearer"\n\n'
            f'[expect]\njwks_url = "{ctx.base}/.well-known/jwks.json"\n',
            encoding="utf-8",
        )
        token_value = mint_token(ctx.base, scenario)
        ctx.env["E2E_TOKEN"] = token_value
        ctx.secrets.append(token_value)
        ctx.args += ["--profile", "jwks-checked", "--profiles-dir", str(folder)]

    return setup


def _wrong_client_secret(ctx: Ctx) -> None:
    """An OAuth token request whose client_secret (in the form body) is wrong: credentials were sent."""
    secret = "e2e-wrong-client-secret-4711"
    ctx.secrets.append(secret)
    ctx.args += ["-H", "Content-Type: application/x-www-form-urlencoded",
                 "-d", f"grant_type=client_credentials&client_id=demo-service&client_secret={secret}"]


# ---- signing in (shared/specs/signin.md): profiles written into the row's folder

BROWSER_SCRIPT = """#!{python}
# A browser for tests: follows the URL and its redirects with plain GETs, as a browser would.
import sys
import requests
session = requests.Session()
session.trust_env = False
session.get(sys.argv[1], timeout=20, allow_redirects=True)
"""


def _write_profile(ctx: Ctx, stem: str, text: str) -> None:
    folder = ctx.tmp / "profiles"
    folder.mkdir(exist_ok=True)
    (folder / f"{stem}.toml").write_text(f'format = 1\nname = "{stem}"\n' + text, encoding="utf-8")
    ctx.args += ["--profile", stem, "--profiles-dir", str(folder)]


def _demo_session(ctx: Ctx, *, ended: bool = False) -> str:
    import requests

    sid = requests.get(f"{ctx.base}/app/demo-session", timeout=10).json()["sessionid"]
    if ended:  # logged out on the server: the cookie in the profile still names it
        requests.post(f"{ctx.base}/app/logout", cookies={"sessionid": sid}, timeout=10)
    ctx.env["E2E_SESSION"] = sid
    ctx.secrets.append(sid)
    return sid


def _ended_session(ctx: Ctx) -> None:
    _demo_session(ctx, ended=True)
    _write_profile(ctx, "copied-cookie", 'kind = "cookie"\n[credentials]\nname = "sessionid"\n'
                                         'value = "${env:E2E_SESSION}"\n')


def _cookie_for_another_path(ctx: Ctx) -> None:
    _demo_session(ctx)
    _write_profile(ctx, "admin-cookie", 'kind = "cookie"\n[credentials]\nname = "sessionid"\n'
                                        'value = "${env:E2E_SESSION}"\npath = "/app/admin"\n')


def _session_login(password: str, csrf: bool = True) -> Setup:
    def setup(ctx: Ctx) -> None:
        ctx.env["E2E_PASSWORD"] = password
        ctx.secrets.append(password)
        echo = 'csrf_cookie = "csrftoken"\ncsrf_header = "X-CSRFToken"\n' if csrf else ""
        _write_profile(ctx, "form-login",
                       f'kind = "session"\n[credentials]\nlogin_url = "{ctx.base}/app/login"\n'
                       f'csrf_field = "csrfmiddlewaretoken"\n{echo}[credentials.form]\nusername = "demo"\n'
                       'password = "${env:E2E_PASSWORD}"\n')
    return setup


def _browser(ctx: Ctx) -> None:
    script = ctx.tmp / "browser.py"
    script.write_text(BROWSER_SCRIPT.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    ctx.env["BROWSER"] = str(script)


def _declined_browser_sign_in(ctx: Ctx) -> None:
    _browser(ctx)
    _write_profile(ctx, "browser-denied", f'kind = "oauth2-authorization-code"\n[credentials]\n'
                                          f'issuer = "{ctx.base}/"\nclient_id = "demo-cli"\n'
                                          'scope = "openid invoices:read"\n'
                                          '[credentials.extra_params]\ndemo_outcome = "deny"\n')
    ctx.args += ["--auth-timeout", "30"]


def _token_before_key_rotation(ctx: Ctx) -> None:
    """A token signed with the key the demo then rotates away: its kid is no longer in the JWKS."""
    import requests

    _profile_with_jwks("valid")(ctx)
    requests.post(f"{ctx.base}/keys/rotate", timeout=30)


def _tls_info(ctx: Ctx) -> dict[str, Any]:
    import requests

    info: dict[str, Any] = requests.get(f"{ctx.base}/tls", timeout=10).json()
    return info


def _trusting_ca(client: str | None = None) -> Setup:
    """A profile that trusts the demo CA ([tls] ca_bundle), with a client certificate when named."""

    def setup(ctx: Ctx) -> None:
        files = _tls_info(ctx)["files"]
        cert = (f'client_cert = "{files[client + "_cert"]}"\nclient_key = "{files[client + "_key"]}"\n'
                if client else "")
        bundle = files["ca_bundle"]
        _write_profile(ctx, "trusts-demo-ca", f'kind = "none"\n[tls]\nca_bundle = "{bundle}"\n{cert}')

    return setup


def _near(target: float, within: float) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, (int, float)) and abs(v - target) <= within


def _contains(*items: str) -> Callable[[Any], bool]:
    return lambda v: v is not None and all(i in v for i in items)


ROWS: list[tuple[str, Row]] = [
    # ---- verdicts with no finding of their own
    ("verdict-ok", Row(None, "ok", "/api/invoices", token("valid"))),
    ("verdict-transport-error", Row(None, "transport-error", "{closed}", token("valid"))),
    ("verdict-not-found", Row(None, "not-credential-related", "/api/invoices/inv_9999", token("valid"),
                              absent=("authenticated-not-permitted", "no-credentials"))),
    ("verdict-waf", Row("server-message", "not-credential-related", "/scenario/waf-blocked", token("valid"),
                        {"message": "Sorry, you have been blocked", "shape": "html"},
                        absent=("authenticated-not-permitted",))),
    # ---- one row per catalogue id
    ("no-credentials", Row("no-credentials", "authentication", "/api/invoices",
                           evidence={"status": 401, "url": lambda u: u.endswith("/api/invoices")})),
    ("credentials-stripped-on-redirect", Row(
        "credentials-stripped-on-redirect", "authentication", "/api/moved", token("valid"),
        {"from_origin": _contains("127.0.0.1"), "to_origin": _contains("localhost"), "names": ["Authorization"],
         "redirects": 1})),
    ("credentials-stripped-on-redirect/other-origin", Row(
        "credentials-stripped-on-redirect", "authentication", "/redirect-other-origin?to=/api/invoices",
        token("valid"), {"to_origin": _contains("localhost"), "names": ["Authorization"]})),
    ("netrc-override", Row("netrc-override", "authentication", "/api/invoices", _netrc,
                           {"host": "127.0.0.1", "set_scheme": "Bearer", "sent_scheme": "Basic"})),
    ("scheme-mismatch", Row("scheme-mismatch", "authentication", "/api/invoices",
                            lambda ctx: ctx.basic(f"{DEMO_USER}:{DEMO_PASSWORD}".encode()),
                            {"sent": "Basic", "challenged": ["Bearer"]})),
    ("scheme-mismatch/bearer-to-basic", Row("scheme-mismatch", "authentication", "/auth/basic", token("valid"),
                                            {"sent": "Bearer", "challenged": ["Basic"]})),
    ("malformed-authorization", Row("malformed-authorization", "authentication", "/api/invoices",
                                    token("valid", prefix="Bearer Bearer "),
                                    {"scheme": "Bearer", "problem": _contains("doubled")},
                                    absent=("opaque-token",))),
    ("missing-challenge", Row("missing-challenge", "authentication", "/scenario/no-challenge", token("valid"),
                              {"status": 401})),
    ("server-error-code", Row("server-error-code", "authentication", "/api/invoices", token("expired"),
                              {"code": "invalid_token", "source": "challenge", "status": 401,
                               "description": "The access token expired"})),
    ("server-error-code/token-endpoint", Row("server-error-code", "authentication", "/oauth/token",
                                             _wrong_client_secret, {"code": "invalid_client", "source": "body"},
                                             absent=("no-credentials",))),
    ("server-message", Row("server-message", "authentication", "/scenario/fastapi",
                           evidence={"message": "Not authenticated", "shape": "detail"})),
    ("token-expired", Row("token-expired", "authentication", "/api/invoices", token("expired"),
                          {"remaining_s": _near(-240, 30), "by_server_clock": True})),
    ("token-near-expiry", Row("token-near-expiry", "ok", "/api/invoices", token("near-expiry"),
                              {"remaining_s": lambda v: 0 < v <= 60, "by_server_clock": True})),
    ("token-not-yet-valid", Row("token-not-yet-valid", "authentication", "/api/invoices", token("not-yet-valid"),
                                {"seconds_early": _near(600, 30)})),
    ("clock-skew", Row("clock-skew", "authentication", "/api/skewed/invoices", token("clock-skew"),
                       {"clock_skew_s": _near(420, 30), "server_date": _contains("T")})),
    ("clock-skew/ok", Row("clock-skew", "ok", "/scenario/clock-skew", evidence={"clock_skew_s": _near(420, 30)})),
    ("audience-mismatch", Row("audience-mismatch", "ok", "/api/invoices", token("valid"),
                              {"expected": DEMO_AUDIENCE + "/", "actual": [DEMO_AUDIENCE]},
                              args=("--expect-audience", DEMO_AUDIENCE + "/"))),
    ("audience-mismatch/refused", Row("audience-mismatch", "authentication", "/api/invoices",
                                      token("wrong-audience"),
                                      {"expected": DEMO_AUDIENCE, "actual": ["api://other-service"]},
                                      args=("--expect-audience", DEMO_AUDIENCE))),
    ("issuer-mismatch", Row("issuer-mismatch", "ok", "/api/invoices", token("valid"),
                            {"actual": lambda v: v.endswith("/"), "difference": _contains("trailing slash")},
                            args=("--expect-issuer", "{base}"))),
    ("insufficient-scope/challenge", Row("insufficient-scope", "authorization", "/api/invoices",
                                         token("missing-scope"),
                                         {"server_said": True, "missing": ["invoices:write"],
                                          "sources": _contains("challenge")},
                                         args=("-X", "POST", "-d", '{"amount": "1.00"}'))),
    ("insufficient-scope/body-only", Row("insufficient-scope", "authorization", "/api/reports",
                                         token("missing-scope"),
                                         {"server_said": True, "granted": _contains("invoices:read")})),
    ("insufficient-scope/expected", Row("insufficient-scope", "ok", "/api/invoices", token("missing-scope"),
                                        {"server_said": False, "missing": ["reports:read"], "sources": ["profile"]},
                                        args=("--expect-scope", "reports:read"))),
    ("id-token-as-access-token", Row("id-token-as-access-token", "authentication", "/api/invoices",
                                     token("id-token"), {"reason": "token_use is 'id'"})),
    ("wrong-token-type", Row("wrong-token-type", "authentication", "/api/invoices", token("refresh-token"),
                             {"kind": "refresh", "reason": _contains("token_type")})),
    ("step-up-required", Row("step-up-required", "step-up", "/api/transfers", token("step-up"),
                             {"code": "insufficient_user_authentication", "acr_values": "urn:mfa", "acr": "urn:pwd",
                              "max_age": "300", "login_age_s": _near(1800, 60)})),
    ("dpop-required", Row("dpop-required", "authentication", "/api/dpop/invoices", token("dpop-bound"),
                          {"sent_scheme": "Bearer", "dpop_nonce": True})),
    ("unsigned-token", Row("unsigned-token", "authentication", "/api/invoices", token("alg-none"),
                           {"alg": "none", "signature_empty": True})),
    ("suspicious-token-header", Row("suspicious-token-header", "ok", "/api/invoices", token("jku-header"),
                                    {"header_fields": _contains("jku", "kid"), "alg": "RS256"})),
    ("signature-invalid", Row("signature-invalid", "authentication", "/api/invoices",
                              _profile_with_jwks("bad-signature"),
                              {"outcome": "invalid", "alg": "RS256", "error": _contains("signature")})),
    ("encrypted-token", Row("encrypted-token", "authentication", "/api/invoices", token("jwe"),
                            {"format": "jwe", "alg": "RSA-OAEP", "enc": "A256GCM"})),
    ("opaque-token", Row("opaque-token", "authentication", "/api/invoices", token("opaque"),
                         {"format": "opaque", "length": lambda n: n > 20})),
    ("basic-charset", Row("basic-charset", "authentication", "/auth/basic",
                          lambda ctx: ctx.basic(f"{DEMO_USER}:p\u00e4sswort".encode("latin-1")),
                          {"charset_requested": "UTF-8", "non_ascii": True})),
    ("authenticated-not-permitted", Row("authenticated-not-permitted", "authorization", "/api/admin/users",
                                        token("not-permitted"),
                                        {"status": 403, "message": "The caller does not have permission"})),
    ("rate-limited", Row("rate-limited", "not-credential-related", "/scenario/rate-limited", token("valid"),
                         {"status": 403}, absent=("authenticated-not-permitted",))),
    ("rate-limited/429", Row("rate-limited", "not-credential-related", "/scenario/too-many-requests",
                             token("valid"), {"status": 429, "retry_after": "30"})),
    ("proxy-auth-required", Row("proxy-auth-required", "proxy-authentication", "/scenario/proxy-auth",
                                evidence={"challenged": ["Negotiate", "Basic"]}, absent=("no-credentials",))),
    ("refusal-in-success-body", Row("refusal-in-success-body", "authentication", "/vendors/rpc/invoices.list",
                                    token("expired"), {"status": 200, "shape": "rpc", "flag": "ok: false",
                                                       "family": "expired", "said": "token_expired"},
                                    absent=("no-credentials",))),
    ("refusal-in-success-body/graphql", Row("refusal-in-success-body", "authorization", "/vendors/graphql",
                                            token("missing-scope"),
                                            {"shape": "graphql", "partial_data": True, "paths": ["reports"]},
                                            args=("-d", '{"query": "{ invoices { id } reports { title } }"}'),
                                            )),
    ("endpoint-not-found-likely", Row("endpoint-not-found-likely", "not-credential-related",
                                      "/vendors/gateway/prod/order", token("valid"),
                                      {"status": 403, "credentials_sent": True,
                                       "error_type": "MissingAuthenticationTokenException"},
                                      absent=("authenticated-not-permitted", "no-credentials"))),
    # ---- signing in (shared/specs/signin.md)
    ("redirected-to-login", Row("redirected-to-login", "authentication", "/app/notes",
                                evidence={"login_url": _contains("/app/login"), "status": 200,
                                          "why": _contains("sign-in page")})),
    ("session-expired", Row("session-expired", "authentication", "/app/notes", _ended_session,
                            {"cookies": ["sessionid"], "login_redirect": True})),
    ("cookie-not-sent", Row("cookie-not-sent", "authentication", "/app/profile", _cookie_for_another_path,
                            {"cookies": lambda v: [(c["name"], c["reason"]) for c in v]
                             == [("sessionid", "path")], "status": 401})),
    ("csrf-failed", Row("csrf-failed", "authentication", "/app/notes",
                        _session_login(DEMO_PASSWORD, csrf=False),
                        {"framework": "Django REST framework", "cookie": "csrftoken", "header": "X-CSRFToken",
                         "header_sent": False}, args=("-X", "POST", "-d", '{"text": "hello"}'))),
    ("login-failed", Row("login-failed", "authentication", "/app/notes",
                         _session_login("not-the-password-42"),
                         {"status": 200, "form_shown_again": True, "session_cookie_set": False})),
    ("oauth-flow-failed", Row("oauth-flow-failed", "authentication", "/api/invoices",
                              _declined_browser_sign_in,
                              {"step": "authorize", "error": "access_denied"})),
    ("signing-key-unknown", Row("signing-key-unknown", "authentication", "/api/invoices",
                                _token_before_key_rotation,
                                {"kid": lambda v: isinstance(v, str) and v,
                                 "jwks_kids": lambda v: len(v) == 1},
                                absent=("signature-invalid",))),
    ("tls-untrusted-certificate", Row("tls-untrusted-certificate", "transport-error", "{tls:self_signed}",
                                      evidence={"self_signed": True, "sha256": _contains(":"),
                                                "subject": _contains("self-signed")})),
    ("tls-hostname-mismatch", Row("tls-hostname-mismatch", "transport-error", "{tls:wrong_host}",
                                  _trusting_ca(), {"names": ["demo.internal"]})),
    ("tls-certificate-expired", Row("tls-certificate-expired", "transport-error", "{tls:expired}",
                                    _trusting_ca(),
                                    {"not_after": _contains("T"), "local_time": _contains("T")})),
    ("tls-client-certificate-required", Row("tls-client-certificate-required", "transport-error",
                                            "{tls:mtls}",
                                            _trusting_ca(), {"source": "handshake", "host": "127.0.0.1"})),
    ("tls-client-certificate-required/tls1.2", Row("tls-client-certificate-required", "transport-error",
                                                   "{tls:mtls12}", _trusting_ca(),
                                                   {"client_cert_requested": True})),
    ("tls-client-certificate-rejected", Row("tls-client-certificate-rejected", "transport-error",
                                            "{tls:mtls}",
                                            _trusting_ca("other_client"), {"alert": _contains("unknown")})),
]
CLI_UNREACHABLE = {"credentials-over-http"}  # see test_credentials_over_http_on_a_recorded_exchange


def test_the_table_covers_every_verdict_and_every_catalogue_id() -> None:
    rows = [row for _, row in ROWS]
    assert {r.verdict for r in rows} == set(VERDICTS)
    assert {r.finding for r in rows if r.finding} | CLI_UNREACHABLE == set(FINDING_IDS)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_send(cli: Cli, ctx: Ctx, url: str, *args: str) -> CliResult:
    empty_netrc = ctx.tmp / "empty-netrc"
    empty_netrc.write_text("", encoding="utf-8")
    # hermetic: a real ~/.netrc entry for 127.0.0.1 must not change answers
    return cli("send", url, *args, env={"NETRC": str(empty_netrc), **ctx.env})


def _check_evidence(evidence: dict[str, Any], expected: dict[str, Any]) -> None:
    assert evidence, "a finding must show the evidence it was drawn from"
    for key, want in expected.items():
        assert key in evidence, (key, evidence)
        if callable(want):
            assert want(evidence[key]), (key, evidence[key])
        else:
            assert evidence[key] == want, (key, evidence[key], want)


def _assert_no_secret(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text
        if len(secret) > 40:  # nor a long piece of it (a masked token keeps at most its first 6 characters)
            assert secret[10:40] not in text


@pytest.mark.parametrize(("name", "row"), ROWS, ids=[name for name, _ in ROWS])
def test_send_json_explains_it(cli: Cli, demo_server: DemoServer, tmp_path: Path, name: str,
                               row: Row) -> None:
    ctx = Ctx(demo_server.base_url, tmp_path)
    row.setup(ctx)
    base = demo_server.base_url
    url = f"http://127.0.0.1:{_closed_port()}/api/invoices" if row.path == "{closed}" else base + row.path
    if row.path.startswith("{tls:"):  # one of the demo's HTTPS endpoints (signin.md's TLS findings)
        url = _tls_info(ctx)["servers"][row.path[len("{tls:"):-1]] + "/"
    args = [a.replace("{base}", demo_server.base_url) for a in row.args]
    result = run_send(cli, ctx, url, *ctx.args, *args, "--json")

    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == (1 if row.verdict == "transport-error" else 0), result.stderr
    doc = json.loads(result.stdout)
    diagnosis = doc["diagnosis"]
    findings = {f["id"]: f for f in diagnosis["findings"]}
    assert diagnosis["verdict"] == row.verdict, (diagnosis["summary"], list(findings))
    assert diagnosis["summary"].endswith((".", ")", "?")) and not UNFILLED.search(diagnosis["summary"])
    if row.finding is not None:
        assert row.finding in findings, (diagnosis["summary"], list(findings))
        finding = findings[row.finding]
        assert finding["title"] and finding["detail"]
        assert not UNFILLED.search(finding["title"] + " " + finding["detail"]), finding
        _check_evidence(finding["evidence"], row.evidence)
    for other in row.absent:
        assert other not in findings, (other, list(findings))
    for f in findings.values():
        assert f["id"] in FINDING_IDS and f["severity"] in ("error", "warning", "info")
    _assert_no_secret(result.stdout + result.stderr, ctx.secrets)


def test_signature_checked_through_a_profile_marks_a_good_token_verified(cli: Cli, demo_server: DemoServer,
                                                                         tmp_path: Path) -> None:
    ctx = Ctx(demo_server.base_url, tmp_path)
    _profile_with_jwks("valid")(ctx)
    result = run_send(cli, ctx, f"{demo_server.base_url}/api/invoices", *ctx.args, "--json")
    doc = json.loads(result.stdout)
    assert doc["diagnosis"]["verdict"] == "ok" and doc["token"]["verified"] is True
    assert doc["request"]["profile"] == "jwks-checked"
    assert "signature-invalid" not in [f["id"] for f in doc["diagnosis"]["findings"]]
    _assert_no_secret(result.stdout, ctx.secrets)


def test_the_waf_block_page_is_not_called_a_permission_problem(cli: Cli, demo_server: DemoServer,
                                                               tmp_path: Path) -> None:
    ctx = Ctx(demo_server.base_url, tmp_path)
    ctx.bearer("valid")
    result = run_send(cli, ctx, f"{demo_server.base_url}/scenario/waf-blocked", *ctx.args, "--json")
    doc = json.loads(result.stdout)
    assert doc["diagnosis"]["summary"].startswith("A web application firewall")
    assert "cf-mitigated" in doc["diagnosis"]["summary"]


@pytest.mark.parametrize(
    ("scenario", "path", "words"),
    [
        ("expired", "/api/invoices", ["Verdict: authentication", "[token-expired]", "before the request"]),
        ("missing-scope", "/api/reports", ["Verdict: authorization", "[insufficient-scope]", "insufficient_scope"]),
        ("step-up", "/api/transfers", ["Verdict: step-up", "[step-up-required]", "urn:mfa"]),
    ],
)
def test_plain_output_shows_the_same_explanation(cli: Cli, demo_server: DemoServer, tmp_path: Path, scenario: str,
                                                 path: str, words: list[str]) -> None:
    ctx = Ctx(demo_server.base_url, tmp_path)
    ctx.bearer(scenario)
    result = run_send(cli, ctx, demo_server.base_url + path, *ctx.args)
    assert result.returncode == 0 and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stdout
    _assert_no_secret(result.stdout, ctx.secrets)


def test_credentials_over_http_on_a_recorded_exchange(demo_server: DemoServer) -> None:
    """The CLI cannot reach a non-loopback host in tests: record a real demo exchange, move it to one, explain it."""
    bearer = mint_token(demo_server.base_url, "valid")
    recorded = send(RequestSpec(url=f"{demo_server.base_url}/api/invoices",
                                headers=(Header("Authorization", f"Bearer {bearer}"),)))
    assert recorded.error is None and recorded.final_hop is not None
    assert explain(recorded).finding("credentials-over-http") is None  # loopback: nobody on the path
    moved_url = "http://api.example.test/api/invoices"
    moved = replace(recorded, spec=replace(recorded.spec, url=moved_url),
                    hops=tuple(replace(h, url=moved_url) for h in recorded.hops))
    d = explain(moved)
    assert d.verdict == "ok"
    f = d.finding("credentials-over-http")
    assert f is not None and f.severity == "warning"
    assert f.evidence["host"] == "api.example.test" and f.evidence["names"] == ["Authorization"]
    assert d.summary == "The server accepted the request (200 OK), but credentials were sent over plain HTTP."
    assert bearer not in json.dumps(dict(f.evidence)) + f.detail + d.summary
