"""The one codec: RequestSpec, Exchange and Diagnosis to JSON and back (round trips for generated values), and
damaged records (issue 9 item 16): decoding raises RecordError naming the field, never a raw exception."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.core.challenges import Challenge
from inspector.core.codec import (
    RecordError,
    diagnosis_from_dict,
    diagnosis_json,
    diagnosis_to_dict,
    exchange_from_dict,
    exchange_to_dict,
    spec_from_dict,
    spec_to_dict,
)
from inspector.core.diagnosis import SEVERITIES, VERDICTS, Diagnosis, explain
from inspector.core.diagnosis.findings import Finding
from inspector.core.errors import ExportError, InspectorError
from inspector.core.exchange import ERROR_KINDS, HOP_ROLES, Exchange, Hop, Response, TransportFailure
from inspector.core.history import HistoryError, HistoryStore
from inspector.core.redact import mask
from inspector.core.request import BODY_KINDS, Body, FormField, Header, RequestSpec
from inspector.core.timeline import Timeline
from inspector.core.tokens import SentCredential, TokenInfo
from tests.support.samples import secret_diagnosis, secret_exchange

# --- strategies -------------------------------------------------------------------------------------------

text = st.text(max_size=30)
words = st.text(min_size=1, max_size=20)  # fields where the codec reads "" as "use the default"
moments = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | finite | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
json_objects = st.dictionaries(text, json_values, max_size=4)

specs = st.builds(
    RequestSpec,
    method=words,
    url=text,
    headers=st.lists(st.builds(Header, text, text, st.booleans()), max_size=4).map(tuple),
    body=st.builds(
        Body,
        kind=st.sampled_from(BODY_KINDS),
        text=text,
        fields=st.lists(st.builds(FormField, text, text, st.booleans(), st.booleans()), max_size=3).map(
            tuple
        ),
    ),
    timeout_s=st.floats(min_value=0.001, max_value=1e6),
    follow_redirects=st.booleans(),
    verify_tls=st.booleans(),
    profile=st.none() | text,
)
header_lines = st.lists(st.tuples(text, text), max_size=4).map(tuple)
responses = st.builds(
    Response,
    status=st.integers(min_value=100, max_value=599),
    reason=text,
    headers=header_lines,
    body=st.binary(max_size=40) | text.map(lambda s: s.encode("utf-8")),
    body_bytes=st.integers(min_value=0, max_value=10**9),
    body_truncated=st.booleans(),
    http_version=words,
)
hops = st.builds(
    Hop,
    method=words,
    url=text,
    sent_headers=header_lines,
    sent_body=st.binary(max_size=40),
    response=st.none() | responses,
    elapsed_s=st.floats(min_value=0, max_value=1e6),
    sent_at=st.none() | moments,
    role=st.sampled_from(HOP_ROLES),
    credentials_stripped=st.lists(text, max_size=3).map(tuple),
    netrc_applied=st.booleans(),
)
exchanges = st.builds(
    Exchange,
    spec=specs,
    hops=st.lists(hops, max_size=3).map(tuple),
    error=st.none() | st.builds(TransportFailure, st.sampled_from(ERROR_KINDS), text),
    sent_at=st.none() | moments,
    received_at=st.none() | moments,
    profile_name=st.none() | text,
    token_problem=st.none() | text.filter(bool),
    from_cache=st.none() | text.filter(bool),
    proxy=st.none() | text.filter(bool),
)
findings = st.builds(
    Finding,
    id=text,
    severity=st.sampled_from(SEVERITIES),
    title=text,
    detail=text,
    evidence=json_objects,
    next_step=text,
    summary=text,
)
challenges = st.builds(
    Challenge, scheme=text, token68=st.none() | text, params=st.dictionaries(text, text, max_size=3)
)
credentials = st.builds(SentCredential, where=text, name=text, scheme=st.none() | text, value=text)
tokens = st.builds(
    TokenInfo,
    format=words,
    raw=text,
    header=json_objects,
    claims=json_objects,
    verified=st.booleans(),
    verify_error=st.none() | text,
    decode_error=st.none() | text,
    verify_outcome=st.none() | text,
)
maybe_seconds = st.none() | finite
timelines = st.builds(
    Timeline,
    now=moments,
    leeway_s=finite,
    issued_at=st.none() | moments,
    not_before=st.none() | moments,
    expires_at=st.none() | moments,
    auth_time=st.none() | moments,
    sent_at=st.none() | moments,
    server_date=st.none() | moments,
    clock_skew_s=maybe_seconds,
    remaining_s=maybe_seconds,
    lifetime_s=maybe_seconds,
    age_s=maybe_seconds,
    reference_time=st.none() | moments,
    by_server_clock=st.booleans(),
    date_note=st.none() | text,
    elapsed_s=finite,
)
diagnoses = st.builds(
    Diagnosis,
    verdict=st.sampled_from(VERDICTS),
    summary=text,
    findings=st.lists(findings, max_size=3).map(tuple),
    challenges=st.lists(challenges, max_size=2).map(tuple),
    proxy_challenges=st.lists(challenges, max_size=2).map(tuple),
    credential=st.none() | credentials,
    token=st.none() | tokens,
    timeline=st.none() | timelines,
    server_error=st.none() | text,
    server_message=st.none() | text,
    missing_evidence=st.lists(text, max_size=3).map(tuple),
)


def _through_json(doc: object) -> Any:
    """What a history row or a HAR file gives back: the dict written as JSON text and read again."""
    return json.loads(json.dumps(doc))


# --- round trips ------------------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(specs)
def test_a_spec_reads_back_equal(spec: RequestSpec) -> None:
    assert spec_from_dict(_through_json(spec_to_dict(spec))) == spec


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exchanges)
def test_an_exchange_reads_back_equal(exchange: Exchange) -> None:
    assert exchange_from_dict(_through_json(exchange_to_dict(exchange))) == exchange


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(diagnoses)
def test_a_diagnosis_reads_back_equal_but_for_its_secrets(diagnosis: Diagnosis) -> None:
    """Everything comes back, except what is never stored: the raw token, and the credential unmasked."""
    back = diagnosis_from_dict(_through_json(diagnosis_to_dict(diagnosis)))
    expected = replace(
        diagnosis,
        credential=None
        if diagnosis.credential is None
        else replace(diagnosis.credential, value=mask(diagnosis.credential.value)),
        token=None if diagnosis.token is None else replace(diagnosis.token, raw=""),
    )
    assert back == expected
    assert diagnosis_to_dict(back) == diagnosis_to_dict(expected)


def test_a_real_diagnosis_reads_back_whole() -> None:
    d = secret_diagnosis()
    back = diagnosis_from_dict(_through_json(diagnosis_to_dict(d)))
    assert diagnosis_json(back) == diagnosis_json(d)
    assert back.timeline == d.timeline and back.token is not None and back.token.raw == ""
    ex = secret_exchange()
    assert exchange_from_dict(_through_json(exchange_to_dict(ex))) == ex
    explained = explain(ex)
    again = diagnosis_from_dict(_through_json(diagnosis_to_dict(explained)))
    assert again.findings == explained.findings and again.verdict == explained.verdict


def test_the_cli_shape_is_the_record_without_its_extras() -> None:
    """send --json's `diagnosis` object is unchanged by the record's additions (its field names are a
    contract)."""
    d = secret_diagnosis()
    cli = diagnosis_json(d)
    assert list(cli) == [
        "verdict",
        "summary",
        "challenges",
        "proxy_challenges",
        "findings",
        "server_error",
        "server_message",
        "missing_evidence",
    ]
    assert all(
        list(f) == ["id", "severity", "title", "detail", "evidence", "next_step"] for f in cli["findings"]
    )
    record = diagnosis_to_dict(d)
    assert record is not None and set(record) - set(cli) == {"token", "timeline", "credential"}


def test_an_older_record_still_reads() -> None:
    """Records written before the codec: no format key, the timeline only inside the token, no finding
    summaries, and a body of a bare text."""
    old_exchange = {
        "spec": {"method": "POST", "url": "https://a.test/x", "headers": [["Accept", "*/*"]]},
        "hops": [
            {
                "method": "POST",
                "url": "https://a.test/x",
                "sent_headers": [["Accept", "*/*"]],
                "response": {"status": 401, "reason": "Unauthorized", "headers": [], "body": {"text": "no"}},
            }
        ],
    }
    ex = exchange_from_dict(old_exchange)
    assert ex.spec.headers == (Header("Accept", "*/*"),) and ex.response is not None
    assert ex.response.body == b"no" and ex.response.body_bytes == 2 and ex.hops[0].role == "request"
    old_diagnosis = {
        "verdict": "authentication",
        "summary": "S",
        "findings": [{"id": "token-expired", "severity": "error"}],
        "token": {
            "format": "jws",
            "claims": {"sub": "a"},
            "timeline": {"judged_at": "2024-05-01T12:00:00Z", "remaining_s": -252.0},
        },
    }
    d = diagnosis_from_dict(old_diagnosis)
    assert d.timeline is not None and d.timeline.remaining_s == -252.0
    assert d.timeline.now == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert d.finding_ids == ("token-expired",) and d.token is not None and d.token.claims == {"sub": "a"}


# --- damaged records --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decode", "doc", "names"),
    [
        (exchange_from_dict, [], "'exchange' should be an object"),
        (exchange_from_dict, {"hops": {}}, "'hops' should be a list"),
        (exchange_from_dict, {"hops": [{"response": {"status": "401"}}]}, "'hops[0].response.status'"),
        (exchange_from_dict, {"hops": [{"sent_headers": [["A"]]}]}, "'hops[0].sent_headers[0]' has 1 items"),
        (exchange_from_dict, {"hops": [{"sent_headers": [["A", 1]]}]}, "'hops[0].sent_headers[0]'"),
        (exchange_from_dict, {"hops": [{"role": "robot"}]}, "'hops[0].role' is 'robot'"),
        (exchange_from_dict, {"hops": [{"sent_body": {"base64": "***"}}]}, "'hops[0].sent_body.base64'"),
        (exchange_from_dict, {"spec": {"headers": [1]}}, "'spec.headers[0]' should be a list"),
        (exchange_from_dict, {"spec": {"body": {"kind": "xml"}}}, "'spec.body.kind' is 'xml'"),
        (exchange_from_dict, {"spec": {"body": {"fields": [["a", "b"]]}}}, "'spec.body.fields[0]' has 2"),
        (exchange_from_dict, {"extra": [1]}, "'extra' should be an object"),
        (exchange_from_dict, {"format": 99}, "format 99"),
        (spec_from_dict, {"verify_tls": "yes"}, "'spec.verify_tls' should be true or false"),
        (diagnosis_from_dict, {"verdict": "fine"}, "'diagnosis.verdict' is 'fine'"),
        (diagnosis_from_dict, {"findings": [3]}, "'diagnosis.findings[0]' should be an object"),
        (diagnosis_from_dict, {"findings": [{"severity": "fatal"}]}, "'diagnosis.findings[0].severity'"),
        (diagnosis_from_dict, {"challenges": [{"params": {"a": 1}}]}, "'diagnosis.challenges[0].params'"),
        (diagnosis_from_dict, {"timeline": {"remaining_s": "soon"}}, "'diagnosis.timeline.remaining_s'"),
        (diagnosis_from_dict, {"credential": "Bearer x"}, "'diagnosis.credential' should be an object"),
    ],
)
def test_a_damaged_record_names_the_field(decode: Any, doc: object, names: str) -> None:
    with pytest.raises(RecordError) as caught:
        decode(doc)
    assert names in str(caught.value)
    assert isinstance(caught.value, ExportError) and isinstance(caught.value, InspectorError)


def test_the_message_never_quotes_a_damaged_value() -> None:
    """A damaged field may still hold a secret: the message says what kind of value it found, not which."""
    with pytest.raises(RecordError) as caught:
        exchange_from_dict({"hops": [{"url": ["Bearer sekrit-token-value"]}]})
    assert "sekrit" not in str(caught.value) and "should be a text, not a list" in str(caught.value)


def test_an_unknown_error_kind_reads_as_other_and_a_bad_time_is_left_out() -> None:
    ex = exchange_from_dict({"error": {"kind": "quantum", "message": "m"}, "sent_at": "yesterday"})
    assert ex.error == TransportFailure("other", "m") and ex.sent_at is None


def _paths(node: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _mutated(doc: Any, data: st.DataObject) -> Any:
    """A copy of doc with one to three random damages: a value replaced or wrapped in a list, a key or an
    item dropped, a list grown."""
    doc = json.loads(json.dumps(doc))
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = data.draw(st.sampled_from(paths))
        if not path:
            return data.draw(json_values)
        *parent_path, last = path
        parent = doc
        for step in parent_path:
            parent = parent[step]
        action = data.draw(st.sampled_from(["replace", "drop", "append", "wrap"]))
        if action == "replace":
            parent[last] = data.draw(json_values)
        elif action == "drop":
            del parent[last]
        elif action == "append" and isinstance(parent[last], list):
            parent[last].append(data.draw(json_values))
        else:
            parent[last] = [parent[last]]
    return doc


_RECORDS = {
    "exchange": (exchange_to_dict(secret_exchange()), exchange_from_dict),
    "diagnosis": (diagnosis_to_dict(secret_diagnosis()), diagnosis_from_dict),
    "spec": (spec_to_dict(secret_exchange().spec), spec_from_dict),
}


@pytest.mark.parametrize("kind", sorted(_RECORDS))
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_record_reads_or_raises_record_error(kind: str, data: st.DataObject) -> None:
    record, decode = _RECORDS[kind]
    damaged = _mutated(record, data)
    try:
        decode(damaged)
    except RecordError as exc:
        assert str(exc).endswith(".")  # one full sentence, whatever was damaged


def test_a_damaged_history_entry_is_a_history_error(tmp_path: Path) -> None:
    """Damage written into the history file itself comes back as HistoryError naming the entry and field."""
    path = tmp_path / "h.sqlite3"
    with HistoryStore(path) as store:
        entry = store.add(secret_exchange(), secret_diagnosis())
    stored = json.loads(_payload(path, entry, "exchange_json"))
    stored["hops"][1]["response"] = "gone"
    db = sqlite3.connect(path)
    db.execute("UPDATE payloads SET exchange_json = ? WHERE id = ?", (json.dumps(stored), entry))
    db.commit()
    db.close()
    with HistoryStore(path) as store, pytest.raises(HistoryError) as caught:
        store.get(entry)
    assert f"History entry {entry}" in str(caught.value) and "'hops[1].response'" in str(caught.value)


def _payload(path: Path, entry: int, column: str) -> str:
    db = sqlite3.connect(path)
    try:
        return str(db.execute(f"SELECT {column} FROM payloads WHERE id = ?", (entry,)).fetchone()[0])
    finally:
        db.close()


def test_a_har_file_with_a_damaged_recording_still_opens() -> None:
    """A HAR written by this app and edited by hand: the request is rebuilt from the HAR entry, the
    explanation is left out, and each entry's notes say why."""
    from inspector.core.export import dump_har, exchange_to_har_entries, parse_har, to_har

    har = to_har(exchange_to_har_entries(secret_exchange(), secret_diagnosis()))
    entries = har["log"]["entries"]
    entries[0]["_inspector"]["spec"] = {"headers": "Authorization"}
    entries[-1]["_inspector"]["diagnosis"]["findings"] = [{"severity": 3}]
    (entry,) = parse_har(dump_har(har))
    assert entry.diagnosis is None and entry.spec.url == entry.exchange.hops[0].url
    assert any("'_inspector.spec.headers' should be a list" in n for n in entry.notes)
    assert any("'_inspector.diagnosis.findings[0].severity'" in n for n in entry.notes)


def test_a_har_hop_role_this_app_does_not_know_is_an_export_error() -> None:
    from inspector.core.export import dump_har, exchange_to_har_entries, parse_har, to_har

    har = to_har(exchange_to_har_entries(secret_exchange(), secret_diagnosis()))
    har["log"]["entries"][1]["_inspector"]["role"] = "robot"
    with pytest.raises(ExportError, match="Entry 2 of the HAR file names the hop role 'robot'"):
        parse_har(dump_har(har))


def test_an_exchange_knows_how_much_its_bodies_hold() -> None:
    """What masking it reads whole (the report and curl dialogs mask large ones on a job)."""
    from inspector.core.exchange import Exchange, Hop, Response
    from inspector.core.request import Body, RequestSpec

    spec = RequestSpec("POST", "http://h/x", body=Body("json", '{"a": 1}'))
    answered = Hop("POST", spec.url, (), b'{"a": 1}', Response(200, "OK", (), b"0123456789", 10), 0.1)
    unanswered = Hop("POST", spec.url, (), b"abc", None, 0.1)
    assert Exchange(spec).bodies_size == 8
    assert Exchange(spec, hops=(answered, unanswered)).bodies_size == 8 + 8 + 10 + 3
