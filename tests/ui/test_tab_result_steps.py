"""An answer is shown in two turns of the event loop: the response first, then its explanation, so that the UI
thread is never busy with both at a stretch (a fresh window's first 401: about 10 and 35 ms of it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import QSettings, QTimer

from inspector.core.request import Header, RequestSpec
from inspector.ui.main_window import MainWindow
from inspector.ui.tab import RequestTab
from tests.support.servers import answering

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJl"


EXPIRED = answering(401, '{"error": "invalid_token", "error_description": "The access token expired"}',
                    {"Content-Type": "application/json",
                     "WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'})


@pytest.fixture
def window(qtbot, tmp_path: Path, http_server) -> Any:
    win = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(win)
    win.show()
    url = http_server(EXPIRED) + "/orders"
    win.editor.set_spec(RequestSpec(url=url, headers=(Header("Authorization", f"Bearer {JWT}"),)))
    yield win
    win.shutdown()


def record(tab: RequestTab, calls: list[str], after_response: Callable[[], None] | None = None) -> None:
    """Note each pane's show_result and the start of the turn after the response's, where after_response runs."""
    response_show, explainer_show = tab.response_view.show_result, tab.explainer.show_result

    def between_the_turns() -> None:  # posted before the tab's own step: what a user's click does there
        calls.append("next turn")
        if after_response is not None:
            after_response()

    def response(result: Any) -> None:
        response_show(result)
        calls.append("response")
        QTimer.singleShot(0, between_the_turns)

    def explainer(result: Any, **kwargs: Any) -> None:
        explainer_show(result, **kwargs)
        calls.append("explanation")

    tab.response_view.show_result = response  # type: ignore[method-assign]
    tab.explainer.show_result = explainer  # type: ignore[method-assign]


def explained_results(tab: RequestTab) -> list[Any]:
    """The results the explainer is asked to show, as it is asked."""
    explained: list[Any] = []
    explainer_show = tab.explainer.show_result

    def explainer(result: Any, **kwargs: Any) -> None:
        explainer_show(result, **kwargs)
        explained.append(result)

    tab.explainer.show_result = explainer  # type: ignore[method-assign]
    return explained


def test_the_explanation_comes_on_the_turn_after_the_response(qtbot, window: MainWindow) -> None:
    tab = window.current_tab()
    calls: list[str] = []
    record(tab, calls)
    with qtbot.waitSignal(window.result_received, timeout=20_000):
        assert window.send()
    # the response's own zero-timer fires first: the explanation was not shown in the response's turn
    assert calls == ["response", "next turn", "explanation"]
    assert tab.explainer.verdict() is not None and tab.explainer.result_box.isVisible()


def test_a_tab_closed_before_the_explanation_explains_nothing(qtbot, window: MainWindow) -> None:
    tab = window.current_tab()
    calls: list[str] = []
    record(tab, calls, after_response=tab.shutdown)
    received: list[object] = []
    window.result_received.connect(received.append)
    assert window.send()
    qtbot.waitUntil(lambda: "next turn" in calls, timeout=20_000)
    qtbot.wait(50)
    assert calls == ["response", "next turn"] and received == []


def test_only_the_newest_of_two_answers_in_one_turn_is_explained(qtbot, window: MainWindow) -> None:
    tab = window.current_tab()
    results: list[Any] = []
    for _ in range(2):
        with qtbot.waitSignal(window.result_received, timeout=20_000) as blocker:
            assert window.send()
        results.append(blocker.args[0])
    explained = explained_results(tab)
    tab._on_result(results[0])
    tab._on_result(results[1])  # before the event loop turns: the first answer's explanation is not due
    qtbot.waitUntil(lambda: bool(explained))
    qtbot.wait(50)
    assert explained == [results[1]] and tab.result is results[1]


def test_a_send_started_before_the_explanation_leaves_it_to_its_own_answer(qtbot, window: MainWindow) -> None:
    """Send clicked again in the turn between (a double click): the first answer's step would explain it while
    the second request is in flight, over the status line's "Sending…", with the second send's context for
    its fixes. Only the second answer is explained."""
    tab = window.current_tab()
    calls: list[str] = []
    sends: list[bool] = []

    def send_again() -> None:
        if not sends:
            sends.append(window.send())

    record(tab, calls, after_response=send_again)
    explained = explained_results(tab)
    received: list[Any] = []
    window.result_received.connect(received.append)
    assert window.send()
    qtbot.waitUntil(lambda: bool(received), timeout=20_000)
    qtbot.wait(50)
    assert sends == [True] and calls.count("response") == 2
    assert explained == received and len(received) == 1 and received[0] is tab.result


def test_a_history_entry_shown_before_the_explanation_stays(qtbot, window: MainWindow) -> None:
    tab = window.current_tab()
    with qtbot.waitSignal(window.result_received, timeout=20_000) as blocker:
        assert window.send()
    earlier = blocker.args[0]
    entry = SimpleNamespace(spec=earlier.exchange.spec, exchange=earlier.exchange, diagnosis=None)
    calls: list[str] = []
    record(tab, calls, after_response=lambda: tab.show_record(entry))  # the user picks an entry in History
    assert window.send()
    qtbot.waitUntil(lambda: "next turn" in calls, timeout=20_000)
    qtbot.wait(50)
    assert calls == ["response", "next turn"]
    assert not tab.explainer.result_box.isVisible()  # the entry has no explanation: the panel was cleared


def test_an_answer_explained_again_before_its_explanation_shows_the_new_one(qtbot, window: MainWindow) -> None:
    """The expectations typed in the panel explain the answer again before its explanation is drawn: the
    pending step draws that one (not the older), and the news of the answer still comes, once."""
    tab = window.current_tab()
    again: list[Any] = []

    def explained_again() -> None:
        assert tab.result is not None and tab.result.diagnosis is not None
        again.append(replace(tab.result, diagnosis=replace(tab.result.diagnosis, summary="Explained again.")))
        tab._on_reexplained(again[0])

    calls: list[str] = []
    record(tab, calls, after_response=explained_again)
    received: list[Any] = []
    window.result_received.connect(received.append)
    assert window.send()
    qtbot.waitUntil(lambda: bool(received), timeout=20_000)
    qtbot.wait(50)
    assert received == again and tab.result is again[0]
    assert tab.explainer.summary.text() == "Explained again."
