"""The 10 MB JSON body case: how soon the first screen shows, the longest UI-thread stall, and the total
highlighting time against Pygments' own lexing time for the same text, all measured in one run.

    python benchmarks/bench_large_body.py [--mb 10] [--naive]

The UI-thread stall is the worst gap between ticks of a 10 ms QTimer while the body loads and is highlighted
(and while the view is scrolled through it, so lazy highlighting is exercised). The target is < 100 ms.
"Last line viewable" is when the whole text is in the view, and a jump to the end shows the last line.
"Colours at the end" is how long after that jump the lines on screen there have their colours.
--naive also times the approach we do not use (Pygments' HTML into a QTextEdit), which blocks the UI thread.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QTextEdit

from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.highlight import choose_lexer
from inspector.core.request import RequestSpec
from inspector.ui.response_view import ResponseView

TARGET_STALL_MS = 100.0


def make_body(megabytes: float, seed: int = 7) -> bytes:
    """Minified JSON of about `megabytes` MB: an array of records like a typical list endpoint returns."""
    rng = random.Random(seed)
    records = []
    size = 0
    i = 0
    goal = int(megabytes * 1024 * 1024)
    while size < goal:
        rec = {
            "id": i,
            "name": f"customer {i}",
            "email": f"user{i}@example.com",
            "active": rng.random() < 0.5,
            "balance": round(rng.uniform(-1000, 10000), 2),
            "tags": rng.sample(["gold", "silver", "new", "vip", "eu", "us"], 2),
            "address": {"street": f"{i} Main Street", "city": "Springfield", "zip": f"{i % 99999:05d}"},
            "note": None,
        }
        piece = json.dumps(rec, separators=(",", ":"))
        records.append(piece)
        size += len(piece) + 1
        i += 1
    return ("[" + ",".join(records) + "]").encode()


def exchange_for(body: bytes) -> Exchange:
    response = Response(200, "OK", (("Content-Type", "application/json"),), body, len(body))
    spec = RequestSpec(url="http://127.0.0.1/large")
    return Exchange(spec=spec, hops=(Hop("GET", spec.url, (), b"", response, 0.5),))


class StallMeter:
    """The worst gap between ticks of a 10 ms timer: how long the UI thread was busy at a stretch."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.worst = 0.0
        self.worst_at = 0.0
        self.started = 0.0
        self.gaps: list[tuple[float, float]] = []  # (gap, when) of gaps over 50 ms

    def start(self) -> None:
        self.started = self.last = time.perf_counter()
        self.worst = 0.0
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        gap = now - self.last
        if gap > 0.05:
            self.gaps.append((gap, now - self.started))
        if gap > self.worst:
            self.worst = gap
            self.worst_at = now - self.started
        self.last = now

    def stop(self) -> None:
        self._tick()
        self.timer.stop()


def wait_for(signal, timeout_s: float) -> bool:
    loop = QEventLoop()
    fired = []

    def done(*_args: object) -> None:
        fired.append(True)
        loop.quit()

    signal.connect(done)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    signal.disconnect(done)
    return bool(fired)


def run(megabytes: float, naive: bool) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    body = make_body(megabytes)
    view = ResponseView()
    view.resize(1100, 800)
    view.show()
    app.processEvents()

    meter = StallMeter()
    marks: dict[str, float] = {}
    bv = view.large_view  # a body over LARGE_BODY_BYTES is shown by LargeTextView
    bv.first_screen_shown.connect(lambda: marks.setdefault("first_screen", time.perf_counter()))
    bv.highlight_applied.connect(lambda: marks.setdefault("first_colours", time.perf_counter()))
    bv.text_complete.connect(lambda: marks.setdefault("text_complete", time.perf_counter()))

    # Scroll through the body while it loads: a page every 150 ms, and a jump to the end half-way.
    scrolls = {"n": 0}

    def end_coloured() -> None:
        if "end_jump" in marks and "end_coloured" not in marks and bv.is_coloured(bv.line_count() - 1):
            marks["end_coloured"] = time.perf_counter()

    def scroll() -> None:
        bar = bv.verticalScrollBar()
        scrolls["n"] += 1
        if os.environ.get("BENCH_DEBUG"):
            print(f"scroll {scrolls['n']} at {time.perf_counter() - meter.started:.2f} s", file=sys.stderr)
        end_coloured()
        if scrolls["n"] == 20:
            bar.setValue(bar.maximum())
            marks["end_jump"] = time.perf_counter()
        elif 20 < scrolls["n"] < 25:
            pass  # stay at the end for a while, to see its colours arrive
        elif scrolls["n"] == 25:
            bar.setValue(bar.maximum() // 2)
        else:
            bar.setValue(bar.value() + bar.pageStep())

    scroller = QTimer()
    scroller.setInterval(150)
    scroller.timeout.connect(scroll)

    # scrolling starts once the first screen has its colours, so that moment is measured undisturbed
    bv.highlight_applied.connect(lambda: scroller.isActive() or scroller.start())
    bv.highlight_applied.connect(end_coloured)
    meter.start()
    t0 = time.perf_counter()
    view.show_exchange(exchange_for(body))
    show_call = time.perf_counter() - t0
    ok = wait_for(view.highlight_done, 300)
    t_done = time.perf_counter()
    if "text_complete" not in marks:
        ok = ok and wait_for(bv.text_complete, 300)
    # let the last formats land on screen, then stop measuring
    end = time.perf_counter() + 0.3
    while time.perf_counter() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    scroller.stop()
    meter.stop()
    if not ok:
        print("highlighting did not finish within 300 s", file=sys.stderr)
        return 1
    stats = view.last_stats
    shown = view.body_text()

    # Pygments' own lexing time for the same (pretty-printed) text, same process, nothing else running.
    lexer = choose_lexer("application/json", shown[:4096])
    t = time.perf_counter()
    tokens = 0
    for _ in lexer.get_tokens(shown):
        tokens += 1
    pygments_s = time.perf_counter() - t

    total_s = t_done - t0
    print(f"body: {len(body) / 1024 / 1024:.1f} MB minified JSON, shown as {len(shown) / 1024 / 1024:.1f} MB "
          f"pretty-printed, {bv.line_count():,} lines, {tokens:,} Pygments tokens")
    print(f"show_exchange() call on the UI thread:   {show_call * 1000:8.1f} ms")
    print(f"first screen of text shown after:        {(marks['first_screen'] - t0) * 1000:8.1f} ms")
    if "first_colours" in marks:
        print(f"first colours on screen after:           {(marks['first_colours'] - t0) * 1000:8.1f} ms")
    print(f"whole text in the view after:            {(marks['text_complete'] - t0):8.2f} s"
          "   (the last line is viewable from then on)")
    if "end_coloured" in marks:
        print(f"colours at the end, after jumping there: {(marks['end_coloured'] - marks['end_jump']) * 1000:8.1f} ms"
              f"   (jump at {marks['end_jump'] - t0:.2f} s)")
    print(f"highlighting finished after (total):     {total_s:8.2f} s"
          f"   (worker: pretty {stats.pretty_s:.2f} s, lex {stats.lex_s:.2f} s, {stats.ranges:,} ranges)")
    print(f"Pygments alone, get_tokens on the text:  {pygments_s:8.2f} s")
    print(f"ratio total highlighting / Pygments:     {total_s / pygments_s:8.2f}")
    print(f"worst UI-thread stall (10 ms timer gap): {meter.worst * 1000:8.1f} ms "
          f"at {meter.worst_at:.2f} s  (target < {TARGET_STALL_MS:.0f} ms)")
    if meter.gaps:
        print("UI-thread gaps over 50 ms: " + ", ".join(f"{g * 1000:.0f} ms at {t:.2f} s" for g, t in meter.gaps))
    status = 0 if meter.worst * 1000 < TARGET_STALL_MS else 2

    if naive:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter

        t = time.perf_counter()
        html = highlight(shown, lexer, HtmlFormatter(noclasses=True))
        edit = QTextEdit()
        edit.setHtml(html)
        print(f"naive: Pygments HTML into QTextEdit blocked the UI thread for {time.perf_counter() - t:.1f} s")
    view.shutdown()
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0, help="body size in MB (default 10)")
    parser.add_argument("--naive", action="store_true", help="also time Pygments HTML into a QTextEdit")
    args = parser.parse_args()
    return run(args.mb, args.naive)


if __name__ == "__main__":
    raise SystemExit(main())
