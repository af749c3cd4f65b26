"""`send --profile` runs the sign-in flows from the command line (`python main.py`, a real process): the
browser step is completed by a script set as BROWSER, the device code is printed on stderr, --auth-timeout
ends a wait nobody answers, and no secret of the flow reaches stdout or stderr. `profiles show|check` for the
new kinds and [tls]."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from inspector.cli import main
from inspector.demo.scenarios import DEMO_PASSWORD
from inspector.demo.server import DemoServer, start_demo_server

ROOT = Path(__file__).resolve().parents[2]
FOLLOWING_BROWSER = """#!{python}
# A browser for tests: follows the URL and its redirects, as a browser would.
import sys
import requests
session = requests.Session()
session.trust_env = False
session.get(sys.argv[1], timeout=20, allow_redirects=True)
"""


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    server = start_demo_server("127.0.0.1", 0)
    try:
        yield server
    finally:
        server.stop()


def write_profile(folder: Path, stem: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / f"{stem}.toml").write_text(f'format = 1\nname = "{stem}"\n{text}', encoding="utf-8")
    return folder


def send_with_profile(tmp_path: Path, url: str, stem: str, profile: str, *args: str,
                      browser: str | None = None) -> subprocess.CompletedProcess[str]:
    """`send URL ARGS --profile STEM` with that one profile (its TOML after format and name) in a folder."""
    folder = write_profile(tmp_path / "p", stem, profile)
    return run(tmp_path, url, *args, "--profile", stem, "--profiles-dir", str(folder), browser=browser)


def browser_script(tmp_path: Path, body: str = FOLLOWING_BROWSER) -> str:
    script = tmp_path / "browser.py"
    script.write_text(body.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def run(tmp_path: Path, *args: str, browser: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DEMO_PASSWORD=DEMO_PASSWORD, NETRC=str(tmp_path / "no-netrc"))
    if browser is not None:
        env["BROWSER"] = browser
    return subprocess.run(
        [sys.executable, "main.py", "send", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_browser_flow_from_the_command_line(demo: DemoServer, tmp_path: Path) -> None:
    result = send_with_profile(
        tmp_path,
        f"{demo.base_url}/api/invoices",
        "browser",
        f'kind = "oauth2-authorization-code"\n[credentials]\n'
        f'issuer = "{demo.base_url}/"\nclient_id = "demo-cli"\n'
        'scope = "openid invoices:read"\n',
        "--json",
        browser=browser_script(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    # the issuer's JWKS (from discovery) checks the token's signature: a hop of its own, before the request's
    assert [h["role"] for h in doc["hops"]] == ["discovery", "authorize", "token", "jwks", "request"]
    assert doc["diagnosis"]["verdict"] == "ok" and doc["response"]["status"] == 200
    assert doc["hops"][3]["url"] == f"{demo.base_url}/.well-known/jwks.json" and doc["hops"][3]["status"] == 200
    # what to do is on stderr, with the URL to open by hand
    assert "in your browser" in result.stderr and f"{demo.base_url}/oauth/authorize?" in result.stderr
    token_body = doc["hops"][2]
    assert "code_verifier" not in json.dumps(token_body)  # request bodies are not in the JSON
    sent_auth = doc["request"]["headers"]["Authorization"]
    assert sent_auth.endswith("…") and len(sent_auth) < 20  # the access token masked
    authorize_location = doc["hops"][1]["location"]
    assert "code=" in authorize_location and "…" in authorize_location


def test_a_wait_nobody_answers_ends_at_auth_timeout(demo: DemoServer, tmp_path: Path) -> None:
    idle = browser_script(tmp_path, "#!{python}\nimport sys\n")  # a browser that opens and does nothing
    result = send_with_profile(
        tmp_path,
        f"{demo.base_url}/api/invoices",
        "browser",
        f'kind = "oauth2-authorization-code"\n[credentials]\n'
        f'issuer = "{demo.base_url}/"\nclient_id = "demo-cli"\n',
        "--json",
        "--auth-timeout",
        "1",
        browser=idle,
    )
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["response"] is None and doc["error"]["kind"] == "timeout"
    assert "--auth-timeout" in doc["error"]["message"]
    assert doc["diagnosis"]["verdict"] == "transport-error"
    assert [f["id"] for f in doc["diagnosis"]["findings"]] == ["oauth-flow-failed"]


def test_the_device_flow_prints_the_code_on_stderr(demo: DemoServer, tmp_path: Path) -> None:
    result = send_with_profile(
        tmp_path,
        f"{demo.base_url}/api/invoices",
        "device",
        f'kind = "oauth2-device-code"\n[credentials]\nissuer = "{demo.base_url}/"\nclient_id = "demo-cli"\n',
        browser=browser_script(tmp_path),
    )  # the browser opens verification_uri_complete: allowed
    assert result.returncode == 0, result.stderr
    assert f"open {demo.base_url}/device and enter the code " in result.stderr
    assert "Verdict: ok" in result.stdout


def test_a_session_login_never_shows_its_secrets(demo: DemoServer, tmp_path: Path) -> None:
    result = send_with_profile(
        tmp_path,
        f"{demo.base_url}/app/notes",
        "form",
        f'kind = "session"\n[credentials]\n'
        f'login_url = "{demo.base_url}/app/login"\n'
        'csrf_field = "csrfmiddlewaretoken"\ncsrf_cookie = "csrftoken"\n'
        'csrf_header = "X-CSRFToken"\n[credentials.form]\n'
        'username = "demo"\npassword = "${env:DEMO_PASSWORD}"\n',
        "-X",
        "POST",
        "-d",
        "{}",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [h["role"] for h in doc["hops"]] == ["login", "login", "login", "request"]
    assert doc["response"]["status"] == 201 and doc["diagnosis"]["verdict"] == "ok"
    cookie = doc["request"]["headers"]["Cookie"]
    assert "sessionid=" in cookie and "csrftoken=" in cookie
    sessions = [c for c in cookie.split("; ") if c.startswith("sessionid=")]
    assert sessions and sessions[0].endswith("…")
    assert DEMO_PASSWORD not in result.stdout + result.stderr


def test_a_failed_login_exits_0_with_the_login_hop_as_the_answer(demo: DemoServer, tmp_path: Path) -> None:
    result = send_with_profile(
        tmp_path,
        f"{demo.base_url}/api/invoices",
        "form",
        f'kind = "session"\n[credentials]\n'
        f'login_url = "{demo.base_url}/app/api/login"\n'
        'token_from = "json:/access_token"\n[credentials.json]\n'
        'username = "demo"\npassword = "wrong-but-typed-here"\n',
        "--json",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [h["role"] for h in doc["hops"]] == ["login"] and doc["response"]["status"] == 401
    assert doc["diagnosis"]["verdict"] == "authentication"
    assert doc["diagnosis"]["findings"][0]["id"] == "login-failed"
    assert "wrong-but-typed-here" not in result.stdout + result.stderr


def test_profiles_show_and_check_for_the_new_kinds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team = write_profile(
        tmp_path / "team",
        "app",
        'kind = "session"\n[credentials]\nlogin_url = "https://a/l"\n'
        '[credentials.form]\nusername = "me"\npassword = "literal-pw"\n'
        'otp = "${env:OTP_FOR_TEST}"\n[tls]\nclient_cert = "c.pem"\n'
        'key_password = "${secret:cert-pw}"\n',
    )
    assert main(["profiles", "show", "app", "--profiles-dir", str(team)]) == 0
    shown = capsys.readouterr().out
    assert "[form]" in shown and "(a literal secret, hidden)" in shown and "literal-pw" not in shown
    assert "${env:OTP_FOR_TEST}" in shown and "key_password = ${secret:cert-pw}" in shown
    assert main(["profiles", "check", "--profiles-dir", str(team)]) == 1
    checked = capsys.readouterr().out
    assert "[literal-secret]" in checked and "credentials.form.password" in checked
    assert "[missing-file]" in checked and "tls.client_cert" in checked and "literal-pw" not in checked


def test_the_auth_timeout_flag_is_a_number_of_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["send", "http://127.0.0.1:9/", "--auth-timeout", "soon"]) == 2
    assert "'soon' is not a number of seconds" in capsys.readouterr().err


def test_the_demo_lists_its_sign_in_endpoints(demo: DemoServer) -> None:
    listed = {e["path"] for e in requests.get(f"{demo.base_url}/", timeout=10).json()["endpoints"]}
    assert {"/app/login", "/oauth/authorize", "/oauth/device", "/keys/rotate", "/tls"} <= listed
