"""Counting the matches of a search ("3 of 17"): the same steps as find-next, windows, a cap, a cancel."""

from __future__ import annotations

import threading

import pytest

from inspector.core.textfind import Matches, find_all


@pytest.mark.parametrize(("text", "needle", "case", "starts"), [
    ("a needle, a NEEDLE, a Needle", "needle", False, [2, 12, 22]),
    ("a needle, a NEEDLE, a Needle", "needle", True, [2]),
    ("aaaa", "aa", False, [0, 2]),  # no overlaps: find-next starts after the match
    ("Ünïcode ünïcode", "ÜNÏ", False, [0, 8]),
    ("nothing here", "needle", False, []),
    ("", "x", False, []),
    ("abc", "", False, []),
    ("a.b.c", ".", True, [1, 3]),  # the needle is text, not a pattern
])
def test_matches(text: str, needle: str, case: bool, starts: list[int]) -> None:
    assert list(find_all(text, needle, case).starts) == starts


def test_a_match_across_a_window_boundary_is_found_once() -> None:
    text = "x" * 95 + "needle" + "x" * 95 + "needle"
    assert list(find_all(text, "needle", window=100).starts) == [95, 196]
    assert list(find_all(text, "needle", window=7).starts) == [95, 196]


def test_the_count_stops_at_the_limit_and_says_so() -> None:
    matches = find_all("ab" * 50, "b", limit=10)
    assert matches.count == 10 and not matches.complete
    assert matches.describe(1) == "1 of 10+"


def test_a_cancelled_count_is_incomplete() -> None:
    cancel = threading.Event()
    cancel.set()
    assert find_all("x" * 10, "x", cancel=cancel).complete is False


@pytest.mark.parametrize(("starts", "at", "words"), [
    ([3, 9, 20], 9, "2 of 3"),
    ([3, 9, 20], 5, "3 matches"),
    ([3], None, "1 match"),
    ([], None, "Not found"),
    (list(range(0, 24000, 2)), 22000, "11,001 of 12,000"),
])
def test_describe(starts: list[int], at: int | None, words: str) -> None:
    from array import array

    assert Matches(array("q", starts)).describe(at) == words
