"""Fixtures of the widget tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.core.profiles import FileSecretStore
from inspector.ui.response_view import ResponseView
from inspector.ui.theme import LIGHT


@pytest.fixture
def response_view(qtbot) -> Iterator[ResponseView]:  # type: ignore[no-untyped-def]
    """A shown ResponseView (900 x 600, light theme); its workers are stopped after the test."""
    widget = ResponseView(theme=LIGHT)
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    yield widget
    widget.shutdown()


# -- the profiles dialog's folders (`personal`, `team`: tests/conftest.py); each file makes its own model --------


@pytest.fixture
def secrets(tmp_path: Path) -> FileSecretStore:
    """A real file-backed secret store standing in for the keyring."""
    return FileSecretStore(tmp_path / "data")
