"""The curl parser's shell-word splitter agrees with shlex.split on every input (words and errors)."""

from __future__ import annotations

import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.export.curl import _shell_words

_PIECES = st.sampled_from(["a", "b", " ", "\t", "\n", "'", '"', "\\", "$", "é", "-H", "x y", "\\\\", '\\"'])


def _outcome(split: object, text: str) -> tuple[list[str] | None, str | None]:
    try:
        return split(text), None  # type: ignore[operator]
    except ValueError as exc:
        return None, str(exc)


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=16).map("".join))
def test_shell_words_match_shlex(text: str) -> None:
    assert _outcome(_shell_words, text) == _outcome(shlex.split, text)


def test_shell_words_keep_empty_quoted_words_and_join_adjacent_quotes() -> None:
    assert _shell_words("curl -d '' a'b'\"c\" \"x\\\"y\"") == ["curl", "-d", "", "abc", 'x"y']
