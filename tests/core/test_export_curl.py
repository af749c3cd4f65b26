"""curl in and out: real-world commands, round trips, quoting checked by a real POSIX shell, errors."""

from __future__ import annotations

import base64
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inspector.core.errors import ExportError
from inspector.core.exchange import Hop
from inspector.core.export import CurlFilesNeeded, parse_curl, to_curl
from inspector.core.request import Body, FormField, Header, RequestSpec

FIXTURES = Path(__file__).parent.parent / "fixtures" / "curl"
JWT = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImRlbW8ifQ.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJl"


def _basic(user_pass: str) -> str:
    return "Basic " + base64.b64encode(user_pass.encode()).decode()


# (id, command, expectations). Shapes copied from Chrome "Copy as cURL", Postman, GitHub, Stripe, Auth0,
# Microsoft identity platform docs and curl's own manual.
REAL_WORLD = [
    (
        "chrome-bash",
        (FIXTURES / "chrome_bash.txt").read_text(),
        {
            "method": "POST",
            "url": "http://127.0.0.1:8765/api/orders?page=2&per_page=50",
            "headers": [
                ("Authorization", f"Bearer {JWT}"),
                ("Cookie", "session=s%3Aabc123def456; theme=dark"),
                ("sec-ch-ua", '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"'),
            ],
            "kind": "json",
            "text": '{"note":"it\'s \\"done\\"","tags":["a","b"],"emoji":"\u2713"}',
            "follow": False,
            "note": "--compressed",
        },
    ),
    (
        "chrome-cmd",
        (FIXTURES / "chrome_cmd.txt").read_text(),
        {
            "method": "POST",
            "url": "http://127.0.0.1:8765/api/orders?page=2&per_page=50",
            "headers": [("Authorization", f"Bearer {JWT}")],
            "kind": "json",
            "text": '{"note":"done"}',
        },
    ),
    (
        "github-get",
        """curl -L \\
  -H "Accept: application/vnd.github+json" \\
  -H "Authorization: Bearer <YOUR-TOKEN>" \\
  -H "X-GitHub-Api-Version: 2022-11-28" \\
  https://api.github.com/repos/OWNER/REPO/issues""",
        {
            "method": "GET",
            "url": "https://api.github.com/repos/OWNER/REPO/issues",
            "headers": [("Authorization", "Bearer <YOUR-TOKEN>"), ("X-GitHub-Api-Version", "2022-11-28")],
            "kind": "none",
            "follow": True,
        },
    ),
    (
        "github-post-json-without-content-type",
        """curl -L \\
  -X POST \\
  -H "Accept: application/vnd.github+json" \\
  -H "Authorization: Bearer <YOUR-TOKEN>" \\
  https://api.github.com/repos/OWNER/REPO/issues \\
  -d '{"title":"Found a bug","body":"I'\\''m having a problem with this.","labels":["bug"]}'""",
        {
            "method": "POST",
            "kind": "text",
            "text": '{"title":"Found a bug","body":"I\'m having a problem with this.","labels":["bug"]}',
            "headers": [("Content-Type", "application/x-www-form-urlencoded")],
            "warn": "sets no Content-Type",
        },
    ),
    (
        "stripe-create-customer",
        """curl https://api.stripe.com/v1/customers \\
  -u "sk_test_4eC39HqLyjWDarjtT1zdp7dc:" \\
  -d name="Jenny Rosen" \\
  --data-urlencode email="jenny.rosen+test@example.com\"""",
        {
            "method": "POST",
            "url": "https://api.stripe.com/v1/customers",
            "headers": [("Authorization", _basic("sk_test_4eC39HqLyjWDarjtT1zdp7dc:"))],
            "kind": "form",
            "fields": [("name", "Jenny Rosen", False), ("email", "jenny.rosen+test@example.com", False)],
        },
    ),
    (
        "stripe-list-with-get",
        "curl -G https://api.stripe.com/v1/customers -u sk_test_4eC39HqLyjWDarjtT1zdp7dc: -d limit=3",
        {"method": "GET", "url": "https://api.stripe.com/v1/customers?limit=3", "kind": "none"},
    ),
    (
        "postman-raw-json",
        """curl --location --request POST 'https://api.example.com/v1/login' \\
--header 'Content-Type: application/json' \\
--data-raw '{
    "username": "demo",
    "password": "hunter2hunter2"
}'""",
        {
            "method": "POST",
            "kind": "json",
            "text": '{\n    "username": "demo",\n    "password": "hunter2hunter2"\n}',
            "follow": True,
            "no_header": "Content-Type",  # the json kind sends exactly this one
        },
    ),
    (
        "postman-form-data",
        """curl --location 'https://api.example.com/upload' \\
--header 'Authorization: Bearer abc.def.ghi' \\
--form 'file=@"/path/to/file.png"' \\
--form 'description="A picture"'""",
        {
            "method": "POST",
            "kind": "multipart",
            "fields": [("file", "/path/to/file.png", True), ("description", "A picture", False)],
            "warn": "does not exist here",
        },
    ),
    (
        "auth0-client-credentials",
        """curl --request POST \\
  --url 'https://YOUR_DOMAIN/oauth/token' \\
  --header 'content-type: application/x-www-form-urlencoded' \\
  --data grant_type=client_credentials \\
  --data client_id=YOUR_CLIENT_ID \\
  --data client_secret=YOUR_CLIENT_SECRET \\
  --data audience=YOUR_API_IDENTIFIER""",
        {
            "method": "POST",
            "url": "https://YOUR_DOMAIN/oauth/token",
            "kind": "form",
            "fields": [
                ("grant_type", "client_credentials", False),
                ("client_id", "YOUR_CLIENT_ID", False),
                ("client_secret", "YOUR_CLIENT_SECRET", False),
                ("audience", "YOUR_API_IDENTIFIER", False),
            ],
            "no_header": "Content-Type",
        },
    ),
    (
        "microsoft-token-encoded",
        (
            "curl -X POST -H 'Content-Type: application/x-www-form-urlencoded' -d 'client_id=535fb089&scope=https%3A%2F"
            "%2Fgraph.microsoft.com%2F.default&client_secret=qWgdYAmab0YSkuL1qKv5bPX&grant_type=client_credentials' "
            "'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token'"
        ),
        {
            "kind": "form",
            "fields": [
                ("client_id", "535fb089", False),
                ("scope", "https://graph.microsoft.com/.default", False),
                ("client_secret", "qWgdYAmab0YSkuL1qKv5bPX", False),
                ("grant_type", "client_credentials", False),
            ],
        },
    ),
    (
        "curl-json-option",
        """curl --json '{"name": "widget"}' https://api.example.com/items""",
        {
            "method": "POST",
            "kind": "json",
            "text": '{"name": "widget"}',
            "headers": [("Accept", "application/json")],
        },
    ),
    ("head", "curl -I https://example.com/", {"method": "HEAD", "kind": "none"}),
    (
        "combined-short-flags-delete",
        "curl -sSLk -XDELETE 'https://api.example.com/items/42' -H 'X-API-Key: abcd1234efgh5678' --max-time 10",
        {
            "method": "DELETE",
            "headers": [("X-API-Key", "abcd1234efgh5678")],
            "follow": True,
            "verify": False,
            "timeout": 10.0,
            "note": "-s",
        },
    ),
    (
        "agent-referer-cookies",
        "curl -A 'MyApp/1.0' -e https://example.com/ -b 'a=1' -b 'b=2' http://127.0.0.1:8765/",
        {
            "headers": [
                ("Cookie", "a=1; b=2"),
                ("User-Agent", "MyApp/1.0"),
                ("Referer", "https://example.com/"),
            ],
            "method": "GET",
        },
    ),
    (
        "multipart-with-types",
        (
            "curl -F 'meta={\"a\":1};type=application/json' -F 'file=@photo.jpg;type=image/jpeg' "
            "https://api.example.com/upload"
        ),
        {
            "kind": "multipart",
            "fields": [("meta", '{"a":1}', False), ("file", "photo.jpg", True)],
            "warn": "type=image/jpeg",
        },
    ),
    (
        "curl-exe-oauth2-bearer",
        "curl.exe --oauth2-bearer mytoken123456 https://api.example.com/me",
        {"headers": [("Authorization", "Bearer mytoken123456")], "method": "GET"},
    ),
    (
        "no-curl-word",
        "-H 'Accept: */*' https://api.example.com/me",
        {"url": "https://api.example.com/me", "headers": [("Accept", "*/*")]},
    ),
    (
        "put-json-charset",
        (
            "curl -X PUT -H 'Content-Type: application/json; charset=utf-8' --data-binary '{\"enabled\":true}' "
            "https://api.example.com/flags/x"
        ),
        {
            "method": "PUT",
            "kind": "json",
            "headers": [("Content-Type", "application/json; charset=utf-8")],
        },
    ),
    (
        "continuation-with-trailing-blank-and-pipe",
        "curl https://api.example.com/me \\  \n  -H 'Accept: application/json' | jq .",
        {"url": "https://api.example.com/me", "headers": [("Accept", "application/json")]},
    ),
    (
        "empty-header-and-url-without-scheme",
        "curl -H 'X-Empty;' api.example.com/ping",
        {"url": "http://api.example.com/ping", "headers": [("X-Empty", "")], "note": "no scheme"},
    ),
]


@pytest.mark.parametrize(("command", "expect"), [pytest.param(c, e, id=i) for i, c, e in REAL_WORLD])
def test_parse_real_world_commands(command: str, expect: dict, tmp_path: Path) -> None:
    result = parse_curl(command, base_dir=tmp_path)
    spec = result.spec
    if "method" in expect:
        assert spec.method == expect["method"]
    if "url" in expect:
        assert spec.url == expect["url"]
    for name, value in expect.get("headers", ()):
        assert spec.header(name) == value, (name, spec.headers)
    if "no_header" in expect:
        assert spec.header(expect["no_header"]) is None
    if "kind" in expect:
        assert spec.body.kind == expect["kind"]
    if "text" in expect:
        assert spec.body.text == expect["text"]
    if "fields" in expect:
        assert [(f.name, f.value, f.is_file) for f in spec.body.fields] == expect["fields"]
    if "follow" in expect:
        assert spec.follow_redirects is expect["follow"]
    if "verify" in expect:
        assert spec.verify_tls is expect["verify"]
    if "timeout" in expect:
        assert spec.timeout_s == expect["timeout"]
    if "warn" in expect:
        assert any(expect["warn"] in w for w in result.warnings), result.warnings
    else:
        assert result.warnings == ()
    if "note" in expect:
        assert any(expect["note"] in n for n in result.notes), result.notes
    spec.validate()  # what the import gives can be sent as it is


@pytest.mark.parametrize(("command", "expect"), [pytest.param(c, e, id=i) for i, c, e in REAL_WORLD])
def test_round_trip_curl_spec_curl(command: str, expect: dict, tmp_path: Path) -> None:
    first = parse_curl(command, base_dir=tmp_path).spec
    again = parse_curl(to_curl(first, include_secrets=True), base_dir=tmp_path).spec
    assert again == first


@pytest.mark.parametrize(
    "spec",
    [
        RequestSpec("GET", "https://x.test/a?q=1"),
        RequestSpec("POST", "https://x.test/a", body=Body("json", text='{"a": [1, 2]}')),
        RequestSpec("PATCH", "https://x.test/a", body=Body("text", text="line 1\nline 'two'\n")),
        RequestSpec("POST", "https://x.test/a", body=Body("form", fields=(FormField("q", "a b&c=d"),))),
        RequestSpec(
            "PUT",
            "https://x.test/a",
            body=Body(
                "multipart", fields=(FormField("f", "/tmp/x y.bin", True), FormField("t", "@not-a-file"))
            ),
        ),
        RequestSpec("HEAD", "https://x.test/", follow_redirects=False, verify_tls=False, timeout_s=2.5),
        RequestSpec("OPTIONS", "https://x.test/", headers=(Header("X-Odd", "it's $HOME `id` \\ ;|&"),)),
    ],
    ids=["get", "json", "text", "form", "multipart", "head-options", "odd-quoting"],
)
def test_round_trip_spec_curl_spec(spec: RequestSpec) -> None:
    assert parse_curl(to_curl(spec, include_secrets=True)).spec == spec


def test_to_curl_masks_credentials_by_default() -> None:
    spec = RequestSpec(
        "POST",
        "https://x.test/token?api_key=querysecret123456&page=2",
        headers=(
            Header("Authorization", f"Bearer {JWT}"),
            Header("X-Team-Key", "teamkey-abcdef-123456"),
            Header("Accept", "application/json"),
        ),
        body=Body(
            "form", fields=(FormField("client_id", "app"), FormField("client_secret", "shh-very-secret-99"))
        ),
    )
    masked = to_curl(spec, extra_secret_names=("X-Team-Key",))
    for secret in (JWT, "querysecret123456", "teamkey-abcdef-123456", "shh-very-secret-99"):
        assert secret not in masked
    assert "Bearer eyJhbG…" in masked and "page=2" in masked and "client_id=app" in masked
    shown = to_curl(spec, include_secrets=True)
    for secret in (JWT, "querysecret123456", "teamkey-abcdef-123456", "shh-very-secret-99"):
        assert secret in shown


def test_to_curl_is_multi_line_with_continuations() -> None:
    text = to_curl(RequestSpec("GET", "https://x.test/", headers=(Header("A", "1"), Header("B", "2"))))
    lines = text.splitlines()
    assert lines[0] == "curl https://x.test/ \\"
    assert lines[1:] == ["  -H 'A: 1' \\", "  -H 'B: 2' \\", "  -L"]


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a POSIX sh")
def test_quoting_is_read_back_by_a_real_posix_shell() -> None:
    nasty = 'it\'s "quoted" $HOME `id` $(id) \\ ; | & * ? ~ !x \n second line \t tab ünïcødé'
    spec = RequestSpec(
        "POST", "https://x.test/a b?x=$y", headers=(Header("X-Nasty", nasty),), body=Body("text", nasty)
    )
    command = to_curl(spec, include_secrets=True)
    script = 'curl() { for a in "$@"; do printf "%s\\0" "$a"; done; }\n' + command + "\n"
    out = subprocess.run(["sh", "-c", script], capture_output=True, check=True, timeout=20).stdout
    argv = out.decode("utf-8").split("\0")[:-1]
    assert f"X-Nasty: {nasty}" in argv
    assert nasty in argv
    assert "https://x.test/a b?x=$y" in argv


def test_hop_to_curl_leaves_out_what_curl_computes() -> None:
    hop = Hop(
        "POST",
        "https://x.test/items",
        (
            ("Host", "x.test"),
            ("User-Agent", "python-requests/2.32"),
            ("Accept-Encoding", "gzip, deflate"),
            ("Content-Type", "application/json"),
            ("Content-Length", "9"),
            ("Authorization", "Basic " + base64.b64encode(b"alice:wonderland-pass").decode()),
        ),
        b'{"a": 1}',
        sent_at=datetime(2024, 5, 1, tzinfo=UTC),
    )
    text = to_curl(hop)
    assert "Content-Length" not in text and "Host:" not in text and "Accept-Encoding" not in text
    assert "--compressed" in text and "--data-binary" in text and "-X" not in text
    assert "wonderland-pass" not in text and base64.b64encode(b"alice:wonderland-pass").decode() not in text
    again = parse_curl(text).spec
    assert again.method == "POST" and again.body == Body("json", text='{"a": 1}')
    assert to_curl(Hop("HEAD", "https://x.test/", ())).startswith("curl --head https://x.test/")


def test_data_from_files_follows_curl_rules(tmp_path: Path) -> None:
    (tmp_path / "body.json").write_text('{"a":\n 1}\r\n')
    (tmp_path / "note.txt").write_text("hello world & more")
    at = parse_curl(
        "curl -XPATCH -H 'Content-Type: application/json' -d@body.json https://x.test/",
        base_dir=tmp_path, read_files=True,
    )
    assert at.spec.method == "PATCH" and at.spec.body == Body("json", text='{"a": 1}')  # -d drops newlines
    binary = parse_curl(
        "curl -H 'Content-Type: application/json' --data-binary @body.json https://x.test/",
        base_dir=tmp_path, read_files=True,
    )
    assert binary.spec.body.text == '{"a":\n 1}\r\n'
    encoded = parse_curl(
        "curl --data-urlencode note@note.txt https://x.test/", base_dir=tmp_path, read_files=True
    )
    assert encoded.spec.body.fields == (FormField("note", "hello world & more"),)
    raw = parse_curl(
        "curl --data-raw '@body.json' -H 'Content-Type: text/plain' https://x.test/", base_dir=tmp_path, read_files=True
    )
    assert raw.spec.body.text == "@body.json"


def test_local_files_are_read_only_when_the_caller_allows_it(tmp_path: Path) -> None:
    key = tmp_path / "id_rsa"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n")
    (tmp_path / "h.txt").write_text("X-From-File: 1\n")
    command = "curl -d @id_rsa -H @h.txt -F 'f=<id_rsa' --data-urlencode k@id_rsa https://x.test/"
    with pytest.raises(CurlFilesNeeded) as info:
        parse_curl(command, base_dir=tmp_path)
    assert info.value.paths == (
        ("-d", key), ("-H", tmp_path / "h.txt"), ("-F", key), ("--data-urlencode", key)
    )
    assert "secret" not in str(info.value) and str(key) in str(info.value)
    with pytest.raises(CurlFilesNeeded):  # a -F file field is sent later and shown in the form; -F <file is read now
        parse_curl("curl -F 'f=<id_rsa' https://x.test/", base_dir=tmp_path)
    assert parse_curl("curl -F 'f=@id_rsa' https://x.test/", base_dir=tmp_path).spec.body.fields[0].is_file


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("   ", "The curl command is empty"),
        ("curl -H 'Accept: x'", "has no URL"),
        ("curl 'https://x.test/a", "check its quotes"),
        ("curl https://x.test -H", "-H at the end"),
        ("curl https://x.test -H 'NoColon'", "has no colon"),
        ("curl https://x.test --max-time soon", "--max-time needs a number of seconds"),
        ("curl -F 'a=1' -d 'b=2' https://x.test", "mixes -F"),
        ("curl -d @missing.json https://x.test", "missing.json"),
        ("curl -d @- https://x.test", "standard input"),
        ("curl ftp://x.test/file", "only http and https"),
        ("curl -F novalue https://x.test", "has no name"),
        ("curl --data-raw $'unterminated https://x.test", "never closed"),
    ],
)
def test_errors_name_the_offending_part(command: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ExportError) as info:
        parse_curl(command, base_dir=tmp_path)
    assert message in str(info.value)
    assert str(info.value).endswith(".")


@pytest.mark.parametrize(
    ("command", "warning", "url"),
    [
        ("curl --frobnicate https://x.test/", "--frobnicate is not understood", "https://x.test/"),
        ("curl --frobnicate 5 https://x.test/", "--frobnicate 5 is not understood", "https://x.test/"),
        (
            "curl -x http://proxy:3128 https://x.test/",
            "-x http://proxy:3128 was not applied",
            "https://x.test/",
        ),
        ("curl --digest -u bob:pw https://x.test/", "--digest credentials", "https://x.test/"),
        ("curl -b cookies.txt https://x.test/", "reads cookies from a file", "https://x.test/"),
        ("curl -u bob https://x.test/", "has no password", "https://x.test/"),
        ("curl https://x.test/ https://y.test/", "only the first URL", "https://x.test/"),
    ],
)
def test_flags_not_understood_are_reported_not_dropped(command: str, warning: str, url: str) -> None:
    result = parse_curl(command)
    assert any(warning in w for w in result.warnings), result.warnings
    assert result.spec.url == url


def test_another_tools_command_is_refused_not_sent_to_a_host_named_after_it() -> None:
    from inspector.core.errors import ExportError
    from inspector.core.export import parse_curl

    with pytest.raises(ExportError, match="This is not a curl command: it starts with 'wget'"):
        parse_curl("wget https://api.example.com/items")
    assert parse_curl("https://api.example.com/items -H 'Accept: x'").spec.url == "https://api.example.com/items"
