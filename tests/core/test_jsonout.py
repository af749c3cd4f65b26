"""The `token` and `diagnosis` JSON objects, in the shape of shared/specs/cli.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jwt

from inspector.core.challenges import Challenge
from inspector.core.diagnosis import Diagnosis, explain
from inspector.core.diagnosis.findings import make_finding
from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.jsonout import diagnosis_json, iso_utc, jsonable, token_json
from inspector.core.request import RequestSpec
from inspector.core.timeline import build_timeline
from inspector.core.tokens import inspect_token

SENT = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
T0 = int(SENT.timestamp())
TIMELINE_KEYS = {"issued_at", "not_before", "expires_at", "auth_time", "sent_at", "server_date", "clock_skew_s",
                 "remaining_s", "lifetime_s"}


def test_token_json_shape_and_values() -> None:
    raw = jwt.encode({"sub": "a", "iat": T0 - 3600, "exp": T0 - 252}, "k" * 32, algorithm="HS256")
    info = inspect_token(raw)
    tl = build_timeline(info.claims, sent_at=SENT, elapsed_s=0.8, server_date="Wed, 01 May 2024 12:00:00 GMT",
                        age_header=None, now=SENT + timedelta(seconds=0.8))
    out = token_json(info, tl)
    assert out is not None
    assert {"format", "header", "claims", "verified", "timeline"} <= set(out)
    assert out["format"] == "jws" and out["verified"] is False and out["header"]["alg"] == "HS256"
    assert out["claims"] == {"sub": "a", "iat": T0 - 3600, "exp": T0 - 252}
    t = out["timeline"]
    assert TIMELINE_KEYS <= set(t)
    assert t["issued_at"] == "2024-05-01T11:00:00Z" and t["expires_at"] == "2024-05-01T11:55:48Z"
    assert t["sent_at"] == "2024-05-01T12:00:00Z" and t["server_date"] == "2024-05-01T12:00:00Z"
    assert t["not_before"] is None and t["auth_time"] is None
    assert t["remaining_s"] == -252.0 and t["lifetime_s"] == 3348.0 and t["clock_skew_s"] == -0.4
    assert raw not in json.dumps(out)


def test_token_json_none_and_opaque() -> None:
    assert token_json(None, None) is None
    out = token_json(inspect_token("opaque-secret-value"), None)
    assert out is not None and out["format"] == "opaque" and out["timeline"] is None
    assert "opaque-secret-value" not in json.dumps(out)


def test_diagnosis_json_shape() -> None:
    d = Diagnosis(
        verdict="authentication",
        summary="Your token expired.",
        findings=(make_finding("token-expired", evidence={"expires_at": SENT, "n": (1, 2)}, phrase="expired"),),
        challenges=(Challenge("Bearer", None, {"error": "invalid_token"}), Challenge("Negotiate", "abc=")),
        missing_evidence=("no Date header: expiry judged by your clock",),
    )
    out = diagnosis_json(d)
    assert out["verdict"] == "authentication" and out["summary"] == "Your token expired."
    assert out["challenges"] == [{"scheme": "Bearer", "token68": None, "params": {"error": "invalid_token"}},
                                 {"scheme": "Negotiate", "token68": "abc=", "params": {}}]
    (f,) = out["findings"]
    assert {"id", "severity", "title", "detail", "evidence"} <= set(f)
    assert f["id"] == "token-expired" and f["severity"] == "error"
    assert f["evidence"] == {"expires_at": "2024-05-01T12:00:00Z", "n": [1, 2]}
    assert out["missing_evidence"] == ["no Date header: expiry judged by your clock"]
    json.dumps(out)


def test_diagnosis_json_from_a_real_explanation_is_serialisable_and_secret_free() -> None:
    raw = jwt.encode({"sub": "a", "exp": T0 - 5, "nonce": "n"}, "k" * 32, algorithm="HS256")
    resp = Response(401, "Unauthorized", (("WWW-Authenticate", 'Bearer error="invalid_token"'),
                                          ("Date", "Wed, 01 May 2024 12:00:00 GMT")), b"", 0)
    ex = Exchange(RequestSpec(url="http://api.example.com/"),
                  (Hop("GET", "http://api.example.com/", (("Authorization", f"Bearer {raw}"),), response=resp,
                       sent_at=SENT),), sent_at=SENT, received_at=SENT)
    d = explain(ex)
    text = json.dumps({"token": token_json(d.token, d.timeline), "diagnosis": diagnosis_json(d)})
    assert raw not in text and raw.split(".")[2] not in text
    assert '"token-expired"' in text and '"id-token-as-access-token"' in text


def test_jsonable_and_iso() -> None:
    assert iso_utc(None) is None
    assert iso_utc(datetime(2024, 1, 1)) == "2024-01-01T00:00:00Z"
    assert jsonable({"a": {1, 2}, "b": float("nan"), 3: object}) == {"a": [1, 2], "b": None, "3": str(object)}


def test_a_stored_diagnosis_comes_back_whole() -> None:
    """History keeps diagnosis_json (+ token, timeline, credential); the panel needs the Diagnosis again."""
    from inspector.core.codec import diagnosis_from_dict as diagnosis_from_json
    from inspector.core.codec import diagnosis_to_dict
    from inspector.core.jsonout import diagnosis_json, timeline_json

    raw = jwt.encode({"sub": "a", "iat": T0 - 3600, "exp": T0 - 252, "scope": "read"}, "k" * 32, algorithm="HS256")
    response = Response(401, "Unauthorized", (("WWW-Authenticate", 'Bearer error="invalid_token"'),
                                              ("Date", "Wed, 01 May 2024 12:00:00 GMT")), b"", 0)
    hop = Hop("GET", "https://api.example.com/x", (("Authorization", f"Bearer {raw}"),), response=response,
              sent_at=SENT)
    d = explain(Exchange(RequestSpec(url=hop.url), (hop,), sent_at=SENT, received_at=SENT))
    assert d.token is not None and d.credential is not None and d.timeline is not None
    stored = diagnosis_to_dict(d)
    back = diagnosis_from_json(stored)
    assert diagnosis_json(back) == diagnosis_json(d)
    assert back.token is not None and back.token.claims == d.token.claims and back.token.raw == ""
    assert timeline_json(back.timeline) == timeline_json(d.timeline)
    assert back.credential is not None and back.credential.value != d.credential.value
    assert diagnosis_from_json({}).verdict == "not-credential-related"
