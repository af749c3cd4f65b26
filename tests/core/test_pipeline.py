"""One send through the pipeline, to its SendResult: real loopback server, real profile files, real sqlite."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from inspector.core.diagnosis import Expectations
from inspector.core.errors import InspectorError, ProfileError
from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.history import HistoryStore
from inspector.core.pipeline import SendProblem, SendResult, run
from inspector.core.profiles import ProfileStore, Resolver, new_profile
from inspector.core.request import Header, RequestSpec
from tests.support.servers import QuietHandler

API_KEY = "key-0a1b2c3d4e5f6789"


class Api(QuietHandler):
    """200 for the right X-API-Key, else a 401 with a Bearer challenge; the body echoes the key it got."""

    def do_GET(self) -> None:
        got = self.headers.get("X-API-Key")
        doc = {"path": self.path, "you_sent": got}
        if got == API_KEY:
            self.reply_json(200, doc)
        else:
            self.reply_json(401, doc, {"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})


@pytest.fixture
def api(http_server) -> str:
    return http_server(Api)


@pytest.fixture
def key_profile(tmp_path: Path):
    store = ProfileStore(tmp_path / "profiles", [])
    return store.save(new_profile("Team API", "api-key", store.personal_dir, stem="api",
                                  credentials={"name": "X-API-Key", "value": "${env:PIPELINE_KEY}"}))


def damaged_history(path: Path) -> HistoryStore:
    """A history file that opens but whose pages cannot be read or written any more."""
    with HistoryStore(path) as store:
        for i in range(200):
            store.add(Exchange(RequestSpec(url=f"http://h/{i}"), hops=(
                Hop("GET", f"http://h/{i}", (), response=Response(401, "U", (), b"x" * 4000, 4000)),)))
    data = bytearray(path.read_bytes())
    for offset in range(8192, len(data), 3 * 4096):  # keep the header: sqlite opens it, then fails on pages
        data[offset:offset + 2048] = b"\xa5" * 2048
    path.write_bytes(bytes(data))
    return HistoryStore(path)


def test_one_send_is_one_frozen_result_with_its_secrets(api, key_profile, tmp_path: Path) -> None:
    resolver = Resolver(None, env={"PIPELINE_KEY": API_KEY})
    with HistoryStore(tmp_path / "h.sqlite3") as history:
        result = run(RequestSpec(url=f"{api}/items", profile=key_profile.identity), profile=key_profile,
                     resolver=resolver, history=history)
        assert isinstance(result, SendResult)
        assert result.exchange.response is not None and result.exchange.response.status == 200
        assert result.exchange.profile_name == "Team API"
        assert result.diagnosis is not None and result.diagnosis.verdict == "ok"
        assert API_KEY in result.secrets.values and "X-API-Key" in result.secrets.names
        assert result.problems == ()
        assert result.history_id is not None and history.count() == 1
        stored = history.get(result.history_id)
        assert API_KEY not in repr(stored)  # masked by the secrets the result carries
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.diagnosis = None  # type: ignore[misc]
    # a pane scrubs what the server echoed: the profile's key, found again in the body
    assert API_KEY in result.shown_secrets().values
    assert API_KEY not in result.shown_secrets().scrub(result.exchange.response.body.decode())


def test_a_damaged_history_is_a_problem_of_the_result_not_a_lost_response(api, tmp_path: Path) -> None:
    history = damaged_history(tmp_path / "history.sqlite3")
    try:
        result = run(RequestSpec(url=f"{api}/x"), history=history)
    finally:
        history.close()
    assert result.exchange.response is not None and result.exchange.response.status == 401
    assert result.diagnosis is not None and result.diagnosis.verdict == "authentication"
    problem = result.problem("history")
    assert isinstance(problem, SendProblem) and problem.kind == "history"
    assert problem.message.startswith("This exchange was not saved in the history: ")
    assert "is damaged" in problem.message and str(tmp_path / "history.sqlite3") in problem.message
    assert result.history_id is None


def test_a_failing_explanation_keeps_the_response_and_says_why(api, monkeypatch) -> None:
    from inspector.core import pipeline

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("no idea")

    monkeypatch.setattr(pipeline, "explain", broken)  # a bug in a rule, injected where the rules are called
    result = run(RequestSpec(url=f"{api}/x"))
    assert result.diagnosis is None and result.exchange.response.status == 401
    assert result.problems == (SendProblem("explain", "The explanation failed: ValueError: no idea"),)


def test_bad_input_raises_before_anything_is_sent() -> None:
    with pytest.raises(InspectorError, match="The URL 'nope' has no scheme"):
        run(RequestSpec(url="nope"))


def test_a_missing_secret_stops_the_send(api, key_profile) -> None:
    with pytest.raises(ProfileError, match="PIPELINE_KEY"):
        run(RequestSpec(url=f"{api}/x", profile=key_profile.identity), profile=key_profile,
            resolver=Resolver(None, env={}))


def test_a_cancelled_send_is_neither_explained_nor_recorded(api, tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    with HistoryStore(tmp_path / "h.sqlite3") as history:
        result = run(RequestSpec(url=f"{api}/x"), history=history, cancel=cancel)
        assert history.count() == 0
    assert result.exchange.error is not None and result.exchange.error.kind == "cancelled"
    assert result.diagnosis is None and result.history_id is None


def test_progress_is_reported_while_the_body_arrives(api) -> None:
    seen: list[tuple[int, int | None]] = []
    result = run(RequestSpec(url=f"{api}/x"), on_progress=lambda got, total: seen.append((got, total)))
    size = len(result.exchange.response.body)
    assert seen and seen[-1] == (size, size)


def test_explained_again_with_other_expectations_is_a_new_result(api) -> None:
    import jwt

    token = jwt.encode({"sub": "u", "aud": "https://api.example.com", "exp": 4102444800}, "k" * 32,
                       algorithm="HS256")
    result = run(RequestSpec(url=f"{api}/x", headers=(Header("Authorization", f"Bearer {token}"),)))
    assert "audience-mismatch" not in result.diagnosis.finding_ids
    again = result.explained_again(Expectations(audience="https://other.example.com"))
    assert "audience-mismatch" in again.diagnosis.finding_ids
    assert again.exchange is result.exchange and again.secrets == result.secrets
    assert "audience-mismatch" not in result.diagnosis.finding_ids  # the first result is unchanged
    assert token in result.shown_secrets().values  # the credential sent is scrubbed from what panes show
