"""Every match of a search in a body's text, for "3 of 17" in the find bar.

Matches do not overlap and follow each other the way find-next steps through them (the next search starts at
the end of the last match). Offsets are Python str offsets. The text is searched a window at a time, so a
worker counting the matches of a 100 MB body hands the GIL back to the window between windows and notices
a cancel; at most `limit` matches are kept (the count then reads "10,000+").
"""

from __future__ import annotations

import re
import threading
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field

__all__ = ["MAX_MATCHES", "Matches", "find_all"]

MAX_MATCHES = 10_000
WINDOW_CHARS = 1024 * 1024


@dataclass(frozen=True)
class Matches:
    """Where a needle occurs in a text: the first `limit` match offsets, and whether that was all of them."""

    starts: array[int] = field(default_factory=lambda: array("q"))  # ascending
    complete: bool = True

    @property
    def count(self) -> int:
        return len(self.starts)

    def ordinal(self, start: int) -> int | None:
        """The 1-based number of the match beginning at start; None when no counted match begins there."""
        i = bisect_left(self.starts, start)
        return i + 1 if i < len(self.starts) and self.starts[i] == start else None

    def describe(self, start: int | None = None) -> str:
        """'3 of 17' for the match at start; '17 matches' when start is not one; '10,000+' when capped."""
        total = f"{self.count:,}" + ("" if self.complete else "+")
        if not self.starts:
            return "Not found"
        number = self.ordinal(start) if start is not None else None
        if number is None:
            return f"{total} match" if total == "1" else f"{total} matches"
        return f"{number:,} of {total}"


def find_all(text: str, needle: str, case_sensitive: bool = False, *, limit: int = MAX_MATCHES,
             cancel: threading.Event | None = None, window: int = WINDOW_CHARS) -> Matches:
    """The matches of needle in text (see the module text); a cancelled search returns what it found so far,
    marked incomplete."""
    starts: array[int] = array("q")
    if not needle or not text:
        return Matches(starts)
    pattern = re.compile(re.escape(needle), 0 if case_sensitive else re.IGNORECASE)
    n, k = len(text), len(needle)
    pos = 0
    while pos <= n - k:
        if cancel is not None and cancel.is_set():
            return Matches(starts, complete=False)
        stop = min(n, pos + max(window, 1))
        # the window reaches k - 1 characters past stop: a match that begins before stop is found in it
        found = pattern.search(text, pos, min(n, stop + k - 1))
        if found is None:
            pos = stop
            continue
        if len(starts) >= limit:
            return Matches(starts, complete=False)
        starts.append(found.start())
        pos = max(found.end(), found.start() + 1)
    return Matches(starts)
