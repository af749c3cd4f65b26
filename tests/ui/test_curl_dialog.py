"""Copy as curl: masked by default, credentials only after a warning, never in screen-share-safe mode."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from inspector.core.export import parse_curl
from inspector.core.redact import Secrets
from inspector.core.request import Header, RequestSpec
from inspector.ui.curl_dialog import WARNING_TITLE, CurlDialog
from tests.support.samples import JWT, SECRETS, secret_exchange
from tests.support.secret_scan import find_secrets

SHOTS = Path("/tmp/ui-shots")
SPEC = RequestSpec(
    "GET",
    f"https://api.test/orders?api_key={SECRETS['api-key-query']}&page=2",
    headers=(
        Header("Authorization", f"Bearer {JWT}"),
        Header("X-Team-Key", "team-key-4455667788"),
        Header("Accept", "application/json"),
    ),
)


class Answers:
    def __init__(self, reply: bool) -> None:
        self.reply = reply
        self.questions: list[tuple[str, str]] = []

    def __call__(self, parent, title: str, text: str) -> bool:
        self.questions.append((title, text))
        return self.reply


def _dialog(qtbot, source=SPEC, **kw) -> CurlDialog:
    kw.setdefault("ask", Answers(True))
    dialog = CurlDialog(source, **kw)
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    return dialog


def _click(qtbot, box) -> None:
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))


def test_masked_by_default(qtbot) -> None:
    dialog = _dialog(qtbot, secrets=Secrets(names=("X-Team-Key",)))
    command = dialog.command()
    assert command.startswith("curl ") and "Authorization: Bearer " in command
    for secret in (JWT, SECRETS["api-key-query"], "team-key-4455667788"):
        assert secret not in command
    assert not dialog.include_credentials()
    assert "masked" in dialog.note.text()
    # the masked command is still a command: it parses back into the same request shape
    parsed = parse_curl(command).spec
    assert parsed.method == "GET" and parsed.header("Accept") == "application/json"
    SHOTS.mkdir(exist_ok=True)
    dialog.grab().save(str(SHOTS / "curl-masked.png"))


def test_including_credentials_warns_first(qtbot) -> None:
    ask = Answers(False)
    dialog = _dialog(qtbot, ask=ask)
    _click(qtbot, dialog.include_box)
    assert ask.questions and ask.questions[0][0] == WARNING_TITLE
    assert "Anyone who sees" in ask.questions[0][1]
    assert not dialog.include_box.isChecked() and JWT not in dialog.command()

    ask.reply = True
    _click(qtbot, dialog.include_box)
    assert len(ask.questions) == 2 and dialog.include_box.isChecked()
    command = dialog.command()
    assert JWT in command and SECRETS["api-key-query"] in command
    assert shlex.split(command.replace("\\\n", " "))[1].endswith(f"api_key={SECRETS['api-key-query']}&page=2")
    assert "Do not share" in dialog.note.text()
    dialog.grab().save(str(SHOTS / "curl-with-credentials.png"))

    _click(qtbot, dialog.include_box)  # turning it off needs no question
    assert len(ask.questions) == 2 and JWT not in dialog.command()


def test_copy_copies_what_is_shown(qtbot) -> None:
    dialog = _dialog(qtbot)
    with qtbot.waitSignal(dialog.copied) as copied:
        qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert copied.args == [dialog.command()]
    assert QApplication.clipboard().text() == dialog.command()
    assert JWT not in QApplication.clipboard().text()


def test_screen_share_safe_masks_and_disables_the_choice(qtbot) -> None:
    ask = Answers(True)
    dialog = _dialog(qtbot, ask=ask)
    dialog.set_include_credentials(True)
    assert JWT in dialog.command()
    dialog.set_screen_share_safe(True)
    assert not dialog.include_box.isEnabled() and not dialog.include_box.isChecked()
    assert JWT not in dialog.command()
    asked = len(ask.questions)
    assert dialog.set_include_credentials(True) is False  # a programmatic attempt is refused too
    assert len(ask.questions) == asked and JWT not in dialog.command()
    assert find_secrets(dialog, [JWT, SECRETS["api-key-query"]]) == []
    dialog.set_screen_share_safe(False)
    assert dialog.include_box.isEnabled() and not dialog.include_box.isChecked()


def test_an_exchange_offers_each_hop_and_starts_on_the_final_one(qtbot) -> None:
    dialog = _dialog(qtbot, source=secret_exchange())
    combo = dialog.source_combo
    assert combo.isVisible() and combo.count() == 4  # as composed + token hop + two request hops
    assert combo.currentText().startswith("Hop 3 (as sent): POST http://localhost:8765/")
    assert "token request" in combo.itemText(1)
    for i in range(combo.count()):
        combo.setCurrentIndex(i)
        for secret in SECRETS.values():
            assert secret not in dialog.command()
    assert find_secrets(dialog, SECRETS.values()) == []
    combo.setCurrentIndex(0)
    assert "api_key=" in dialog.command()


def test_a_profile_redactor_masks_values_by_value(qtbot) -> None:
    spec = RequestSpec("GET", "https://api.test/v1/custom-secret-path-123456/items")
    dialog = _dialog(qtbot, source=spec, secrets=Secrets(("custom-secret-path-123456",)))
    assert "custom-secret-path-123456" not in dialog.command()


@pytest.mark.parametrize("safe", [False, True])
def test_nothing_secret_on_screen_while_masked(qtbot, safe: bool) -> None:
    dialog = _dialog(qtbot)
    dialog.set_screen_share_safe(safe)
    assert find_secrets(dialog, [JWT, SECRETS["api-key-query"]]) == []


def test_a_command_with_a_body_of_megabytes_shows_its_start_and_copies_all_of_it(qtbot) -> None:
    """A text box takes seconds to lay out a line of megabytes: it shows the start, Copy takes the whole."""
    from inspector.core.request import Body
    from inspector.ui.curl_dialog import SHOWN_CHARS

    body = '{"items": [' + ",".join(f'{{"id": {i}}}' for i in range(120_000)) + "]}"
    dialog = _dialog(qtbot, RequestSpec("POST", "https://api.example.com/bulk", body=Body("json", body)))
    qtbot.waitUntil(lambda: not dialog.writing, timeout=20_000)  # (written on a worker: see below)
    command = dialog.command()
    assert body in command  # all of it
    assert len(dialog.text.toPlainText()) == SHOWN_CHARS and command.startswith(dialog.text.toPlainText())
    assert "Copy takes all of it" in dialog.note.text() and f"{len(command):,} characters" in dialog.note.text()
    dialog.copy()
    assert QApplication.clipboard().text() == command


def _parent_calls(monkeypatch, module: object, name: str) -> list[str]:
    """Calls of module's `name` made in this process (the helper process has modules of its own)."""
    import threading

    calls: list[str] = []
    real = getattr(module, name)
    monkeypatch.setattr(module, name,
                        lambda *a, **kw: calls.append(threading.current_thread().name) or real(*a, **kw))
    return calls


def test_a_body_of_megabytes_is_masked_in_the_helper_process_and_the_newest_choice_wins(qtbot,
                                                                                       monkeypatch) -> None:
    """Masking a body of megabytes holds the interpreter for a fifth of a second or more (again at every
    toggle), on a worker thread too: the command is written in the helper process; Copy waits for it."""
    from inspector.core.export.curl import to_curl
    from inspector.core.offload import HELPER
    from inspector.core.request import Body

    body = '{"items": [' + ",".join(f'{{"id": {i}}}' for i in range(60_000)) + "]}"
    spec = RequestSpec("POST", "https://api.example.com/bulk", headers=SPEC.headers, body=Body("json", body))
    expected = {True: to_curl(spec, include_secrets=True), False: to_curl(spec)}
    from inspector.core.export import curl

    here = _parent_calls(monkeypatch, curl, "to_curl")
    dialog = CurlDialog(spec, ask=Answers(True))
    qtbot.addWidget(dialog)
    assert dialog.writing and dialog.command() == "" and not dialog.copy_button.isEnabled()
    copied: list[str] = []
    dialog.copied.connect(copied.append)
    dialog.copy()
    assert copied == []
    dialog.set_include_credentials(True)  # while it writes: the newer command replaces it
    qtbot.waitUntil(lambda: not dialog.writing, timeout=20_000)
    assert dialog.command() == expected[True]
    assert body in dialog.command() and dialog.copy_button.isEnabled()
    dialog.set_include_credentials(False)
    qtbot.waitUntil(lambda: not dialog.writing, timeout=20_000)
    assert dialog.command() == expected[False] and JWT not in dialog.command()
    assert here == [] and HELPER.is_running()  # written by the helper, never in this process


def test_an_exchange_with_bodies_of_megabytes_is_scrubbed_in_the_helper_too(qtbot, monkeypatch) -> None:
    """The values seen in the exchange (a token in a response body, say) are gathered there as well, and
    scrubbed from every hop's command."""
    import dataclasses
    import json

    from inspector.core import redact

    here = _parent_calls(monkeypatch, redact, "exchange_redactor")
    exchange = secret_exchange()
    padding = json.dumps([{"id": i, "note": "x" * 40} for i in range(6000)]).encode()
    last = exchange.hops[-1]
    # the token the exchange's token request got, echoed in a parameter no name marks as secret: only the
    # values seen in the exchange catch it
    echoed = f"{last.url}{'&' if '?' in last.url else '?'}ref={SECRETS['access-token']}"
    big = dataclasses.replace(last, url=echoed,
                              response=dataclasses.replace(last.response, body=padding + last.response.body))
    exchange = dataclasses.replace(exchange, hops=(*exchange.hops[:-1], big))
    dialog = CurlDialog(exchange, ask=Answers(True))
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.writing, timeout=20_000)
    for index in range(dialog.source_combo.count()):
        dialog.source_combo.setCurrentIndex(index)
        qtbot.waitUntil(lambda: not dialog.writing, timeout=20_000)
        assert dialog.command() and not any(v in dialog.command() for v in SECRETS.values()), index
    assert here == []
