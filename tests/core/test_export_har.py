"""HAR 1.2 out and in: a Chrome recording of the demo API, round trips, what browsers write, what is not HAR."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

import inspector
from inspector.core.errors import ExportError
from inspector.core.exchange import Exchange, Hop, Response, TransportFailure
from inspector.core.export import dump_har, exchange_to_har_entries, parse_har, to_har
from tests.support.samples import JWT, SECRETS, secret_diagnosis, secret_exchange, simple_exchange

FIXTURE = Path(__file__).parent.parent / "fixtures" / "chrome_demo.har"

# HAR 1.2 required fields (http://www.softwareishard.com/blog/har-12-spec/)
REQUIRED = {
    "entry": ("startedDateTime", "time", "request", "response", "cache", "timings"),
    "request": (
        "method",
        "url",
        "httpVersion",
        "cookies",
        "headers",
        "queryString",
        "headersSize",
        "bodySize",
    ),
    "response": (
        "status",
        "statusText",
        "httpVersion",
        "cookies",
        "headers",
        "content",
        "redirectURL",
        "headersSize",
        "bodySize",
    ),
    "content": ("size", "mimeType"),
    "timings": ("send", "wait", "receive"),
}


def assert_valid_har(har: dict) -> None:
    log = har["log"]
    assert log["version"] == "1.2"
    assert log["creator"] == {"name": "Request Inspector", "version": inspector.__version__}
    for entry in log["entries"]:
        for part, keys in REQUIRED.items():
            obj = {
                "entry": entry,
                "request": entry["request"],
                "response": entry["response"],
                "content": entry["response"]["content"],
                "timings": entry["timings"],
            }[part]
            missing = [k for k in keys if k not in obj]
            assert not missing, (part, missing)
        datetime.fromisoformat(entry["startedDateTime"])
        assert all(
            set(h) == {"name", "value"} for h in entry["request"]["headers"] + entry["response"]["headers"]
        )
    json.dumps(har)  # plain JSON all the way down


# --- reading what Chrome writes ----------------------------------------------------------------------------


def test_chrome_recording_of_the_demo_api() -> None:
    entries = parse_har(FIXTURE.read_text())
    assert [e.indexes for e in entries] == [(0,), (1, 3), (2,), (4,), (5,)]

    challenge = entries[0]
    assert (
        challenge.spec.method == "GET" and challenge.spec.url == "http://127.0.0.1:8765/api/profile?view=full"
    )
    assert challenge.spec.header("Host") is None  # derived from the URL when re-sent
    assert challenge.spec.header("Authorization").startswith("Bearer eyJ")
    response = challenge.exchange.response
    assert response.status == 401 and response.reason == "Unauthorized"
    assert response.header("WWW-Authenticate").startswith('Bearer realm="demo", error="invalid_token"')
    assert challenge.exchange.sent_at == datetime(
        2024, 5, 1, 10, 0, 0, 123000, tzinfo=UTC
    )  # +02:00 read right
    assert challenge.exchange.hops[0].elapsed_s == pytest.approx(0.012345)

    redirect = entries[1].exchange
    assert [h.status for h in redirect.hops] == [302, 401]
    assert redirect.hops[0].location == "http://localhost:8765/api/items"
    assert redirect.hops[0].sent_header("Authorization") is not None
    assert redirect.hops[1].sent_header("Authorization") is None
    assert all(not name.startswith(":") for name, _ in redirect.hops[1].sent_headers)  # HTTP/2 pseudo-headers
    assert redirect.hops[1].elapsed_s == pytest.approx(0.0046)  # no "time": the timings add up
    assert redirect.response.http_version == "http/2.0"

    cached = entries[2]
    assert cached.from_cache == "memory" and cached.exchange.from_cache == "memory"
    assert cached.exchange.response.body == b"console.log('demo');\n"  # base64 content decoded
    assert "cache" in cached.notes[0]

    token = entries[3]
    assert token.spec.body.kind == "form"
    assert {f.name: f.value for f in token.spec.body.fields}["grant_type"] == "client_credentials"
    assert json.loads(token.exchange.response.body)["token_type"] == "Bearer"

    refused = entries[4].exchange
    assert refused.response is None and refused.error is not None
    assert refused.error.kind == "connection" and "ERR_CONNECTION_REFUSED" in refused.error.message


def test_without_grouping_every_entry_stands_alone() -> None:
    entries = parse_har(FIXTURE.read_text(), group_redirects=False)
    assert [e.indexes for e in entries] == [(i,) for i in range(6)]


def test_chrome_recording_round_trips_through_our_har() -> None:
    first = parse_har(FIXTURE.read_text())
    ours = to_har(
        [entry for e in first for entry in exchange_to_har_entries(e.exchange, include_secrets=True)]
    )
    assert_valid_har(ours)
    second = parse_har(dump_har(ours))
    assert [e.exchange for e in second] == [e.exchange for e in first]
    assert [e.spec for e in second] == [e.spec for e in first]


# --- writing -----------------------------------------------------------------------------------------------


def test_exchange_round_trips_exactly() -> None:
    exchange = secret_exchange()
    binary = replace(
        exchange.hops[2],
        response=replace(
            exchange.hops[2].response, body=b"\x89PNG\x00\x01\xff", body_bytes=9000, body_truncated=True
        ),
        sent_body=b"\x00\x01binary",
    )
    exchange = replace(exchange, hops=(*exchange.hops[:2], binary))
    entries = exchange_to_har_entries(exchange, include_secrets=True)
    assert len(entries) == 3
    back = parse_har(json.dumps(to_har(entries)))
    assert len(back) == 1 and back[0].exchange == exchange and back[0].spec == exchange.spec


def test_failed_send_round_trips() -> None:
    failed = simple_exchange(None)
    back = parse_har(json.dumps(to_har(exchange_to_har_entries(failed, include_secrets=True))))
    assert back[0].exchange == failed
    nothing_sent = Exchange(failed.spec, (), TransportFailure("dns", "The name api.test was not found."))
    entries = exchange_to_har_entries(nothing_sent)
    assert entries[0]["response"]["status"] == 0 and entries[0]["response"]["_errorKind"] == "dns"
    assert parse_har(json.dumps(to_har(entries)))[0].exchange == nothing_sent


def test_entries_carry_hops_redirects_cookies_and_the_diagnosis() -> None:
    entries = exchange_to_har_entries(secret_exchange(), secret_diagnosis())
    har = to_har(entries)
    assert_valid_har(har)
    token, first, second = entries
    assert token["_inspector"]["role"] == "token"
    assert token["request"]["postData"]["mimeType"] == "application/x-www-form-urlencoded"
    params = {p["name"]: p["value"] for p in token["request"]["postData"]["params"]}
    assert params["grant_type"] == "client_credentials" and params["client_secret"] == "cs_cli…"
    assert first["response"]["redirectURL"] == "http://localhost:8765/api/things?page=1"
    assert first["request"]["cookies"] == [
        {"name": "session", "value": "sess_7…"},
        {"name": "theme", "value": "…"},
    ]
    assert first["response"]["cookies"] == [
        {"name": "session", "value": "newses…", "path": "/", "httpOnly": True}
    ]
    assert {"name": "page", "value": "1"} in first["request"]["queryString"]
    assert first["startedDateTime"] == "2024-05-01T10:00:00.250000+00:00" and first["time"] == 4.2
    assert second["_inspector"]["credentials_stripped"] == ["Authorization", "Cookie", "X-API-Key"]
    diagnosis = second["_inspector"]["diagnosis"]
    assert diagnosis["verdict"] == "authentication"
    assert [f["id"] for f in diagnosis["findings"]] == [
        "token-expired",
        "credentials-stripped-on-redirect",
        "server-message",
    ]
    assert diagnosis["token"]["claims"]["sub"] == "user-42" and "raw" not in diagnosis["token"]
    assert "diagnosis" not in first["_inspector"]
    text = dump_har(har)
    for name, secret in SECRETS.items():
        assert secret not in text, name
    assert parse_har(text)[0].diagnosis.verdict == "authentication"


def test_binary_response_is_base64() -> None:
    exchange = simple_exchange()
    hop = exchange.hops[0]
    png = Response(200, "OK", (("Content-Type", "image/png"),), b"\x89PNG\r\n\x1a\n\x00\x00", 10)
    entries = exchange_to_har_entries(replace(exchange, hops=(replace(hop, response=png),)))
    content = entries[0]["response"]["content"]
    assert content["encoding"] == "base64" and content["mimeType"] == "image/png"
    assert parse_har(json.dumps(to_har(entries)))[0].exchange.response.body == png.body


# --- what is not HAR ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<html>", "it is not JSON (Expecting value at line 1, column 1)"),
        ("[1, 2]", "has no 'log' object"),
        ('{"openapi": "3.0.0"}', "has no 'log' object"),
        ('{"log": []}', "its 'log' is not an object"),
        ('{"log": {"version": "1.2"}}', "has no 'entries' list"),
        ('{"log": {"entries": [1]}}', "Entry 1 of the HAR file is not an object"),
        ('{"log": {"entries": [{"response": {}}]}}', "Entry 1 of the HAR file has no 'request' object"),
        ('{"log": {"entries": [{}, {"request": {"method": "GET"}}]}}', "Entry 1"),
        ('{"log": {"entries": [{"request": {"url": "http://x.test/"}}, {"request": {}}]}}', "Entry 2"),
    ],
)
def test_not_har_is_rejected_naming_what_is_missing(text: str, message: str) -> None:
    with pytest.raises(ExportError) as info:
        parse_har(text)
    assert message in str(info.value)


def test_minimal_entries_are_tolerated() -> None:
    text = json.dumps(
        {
            "log": {
                "entries": [
                    {"request": {"url": "http://127.0.0.1:8765/a"}},
                    {
                        "startedDateTime": "2024-05-01T10:00:00",
                        "request": {
                            "method": "post",
                            "url": "http://127.0.0.1:8765/b",
                            "postData": {"text": "x"},
                        },
                        "response": {"status": 204},
                    },
                ]
            }
        }
    )
    a, b = parse_har(text)
    assert a.spec.method == "GET" and a.exchange.response is None and a.exchange.error.kind == "other"
    assert b.spec.method == "POST" and b.spec.body.text == "x" and b.exchange.response.status == 204
    assert b.started_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)  # naive times are taken as UTC


def test_the_token_is_only_in_an_unmasked_export() -> None:
    assert JWT in dump_har(to_har(exchange_to_har_entries(secret_exchange(), include_secrets=True)))
    assert JWT not in dump_har(to_har(exchange_to_har_entries(secret_exchange())))


def test_spec_from_a_multipart_recording_drops_the_old_boundary() -> None:
    text = json.dumps(
        {
            "log": {
                "entries": [
                    {
                        "request": {
                            "method": "POST",
                            "url": "http://127.0.0.1:8765/upload",
                            "headers": [
                                {"name": "Content-Type", "value": "multipart/form-data; boundary=----abc"}
                            ],
                            "postData": {
                                "mimeType": "multipart/form-data; boundary=----abc",
                                "text": "------abc\r\n...",
                                "params": [
                                    {"name": "title", "value": "Holiday"},
                                    {"name": "photo", "fileName": "beach.jpg", "contentType": "image/jpeg"},
                                ],
                            },
                        },
                        "response": {"status": 201, "statusText": "Created"},
                    }
                ]
            }
        }
    )
    (entry,) = parse_har(text)
    assert entry.spec.header("Content-Type") is None
    assert [(f.name, f.value, f.is_file) for f in entry.spec.body.fields] == [
        ("title", "Holiday", False),
        ("photo", "beach.jpg", True),
    ]
    assert isinstance(entry.exchange.hops[0], Hop)


# -- reading a large file a piece at a time -------------------------------------------------------------------

def _random_json(rng, depth: int = 0):  # type: ignore[no-untyped-def]
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 3.5, 1e300, 12345678901234567890])
    if kind in (2, 3):
        return "".join(rng.choice('ab "\\\n\u00e9\U0001f600{}[],:') for _ in range(rng.randrange(6)))
    if kind == 4:
        return [_random_json(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = ["log", "entries", "version", "x", "log"]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randrange(4))}


def test_reading_in_pieces_gives_what_json_gives_values_and_errors_alike() -> None:
    """loads_in_pieces reads the top object, "log" and each of log.entries a piece at a time (so that no
    single call of json's parser holds the interpreter for a whole file): the same value, or the same error,
    as json.loads, for any text."""
    import random

    from inspector.core.export.har import loads_in_pieces

    rng = random.Random(7)
    texts: list[str | bytes] = []
    for _ in range(1500):
        doc = {"log": {"version": "1.2", "entries": [_random_json(rng) for _ in range(rng.randrange(5))]}}
        if rng.random() < 0.3:
            doc = _random_json(rng)  # any shape at all
        text = json.dumps(doc, indent=rng.choice([None, 1, 2]), ensure_ascii=rng.random() < 0.5)
        texts.append(text)
        if text:
            cut = rng.randrange(len(text))  # broken: cut, or a character dropped or doubled
            texts += [text[:cut], text[:cut] + text[cut + 1:], text[:cut] + text[cut] + text[cut:]]
        texts.append(text.encode(rng.choice(["utf-8", "utf-16", "utf-32", "utf-8-sig"])))
    texts += ["", " ", "\ufeff{}", '{"log": {"entries": [1,]}}', '{"log": {"entries": [1 2]}}', "[1] x",
              b"\xff\xfe\x00"]
    for text in texts:
        try:
            expected: object = ("ok", json.loads(text))
        except (ValueError, UnicodeDecodeError) as exc:
            expected = ("error", type(exc), str(exc))
        try:
            got: object = ("ok", loads_in_pieces(text))
        except (ValueError, UnicodeDecodeError) as exc:
            got = ("error", type(exc), str(exc))
        assert got == expected, repr(text)[:200]
