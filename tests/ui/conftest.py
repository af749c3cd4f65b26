"""Fixtures of the widget tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
