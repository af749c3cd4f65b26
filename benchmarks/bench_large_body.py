"""Large response bodies in the window: first screen, colours, UI-thread stalls, scrolling, memory, and the
total highlighting time against Pygments' own lexing of the same text, all measured in one run per case.

    python benchmarks/bench_large_body.py [--mb 10] [--kind json|json-one-line|text|xml|html] [--json]

One case is one body shown in a ResponseView (bodies over 512 KB go to the view that draws only the lines on
screen):

- json: minified JSON records, Pretty on (re-indented as it streams); json-one-line: the same with Pretty
  off (one 10 MB line, shown broken every 4,000 characters); text: log lines; xml: minified XML records,
  Pretty on; html: a large table, Pretty on.
- first_screen_ms / first_colours_ms: from show_exchange() to the first screen of text, and of colours.
- worst_stall_ms: the worst gap between ticks of a 10 ms QTimer while the body loads, is highlighted and then
  scrolled (target <= 100 ms at 96 MB, <= 50 ms at 10 MB).
- end_coloured_after_jump_ms: the view jumps to the last line as soon as the whole text is there; how long
  until the lines on screen there have their colours.
- scroll_frame_ms: the median time of one repaint while paging down through the body (and, for a one-line
  body, across it sideways); scroll_gaps_over_50ms counts the frames that took longer; scroll_frame_cpu_ms
  is the mean CPU time of the UI thread per frame. wheel_frame_ms: the median time of a step of three
  lines down and the paint that follows it (what the wheel does; only the lines that come into view are
  drawn).
- highlight_s: show_exchange() to the end of highlighting (decoding, pretty-printing, indexing, lexing);
  pygments_s: Pygments' get_tokens over the same displayed text, same process, nothing else running;
  highlight_ratio = highlight_s / pygments_s; highlight_cpu_ratio compares the worker thread's CPU time with
  the lexing thread's, which the other processes of a shared machine do not change.
- peak_rss_extra_mb: the peak resident memory over what the process held just before show_exchange() (the
  body bytes were received by then, and the kind's lexer had been chosen and run on a small body, as in a
  session before a large body comes: --cold skips that, and the large body pays for loading Pygments'
  lexer modules), from VmHWM after resetting it through /proc/self/clear_refs (or from VmRSS sampled every
  5 ms when that file is not writable); rss_ratio = peak_rss_extra_mb / body_mb.

Without --json a readable table is printed. Figures are noisy on a shared machine: compare ratios.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from benchmarks.stall import StallMeter, wait_until
from inspector.core.exchange import Exchange, Hop, Response
from inspector.core.highlight import choose_lexer, iter_range_batches, pretty_markup
from inspector.core.request import RequestSpec
from inspector.ui.jobs import import_modules
from inspector.ui.response_view import ResponseView
from inspector.ui.tab import RESULT_MODULES

KINDS = ("json", "json-one-line", "text", "xml", "html")
CONTENT_TYPES = {"json": "application/json", "json-one-line": "application/json", "text": "text/plain",
                 "xml": "application/xml", "html": "text/html; charset=utf-8"}
FIELDS = ("case", "body_mb", "first_screen_ms", "first_colours_ms", "worst_stall_ms", "scroll_frame_ms",
          "end_coloured_after_jump_ms", "highlight_s", "pygments_s", "peak_rss_extra_mb")
LOAD_TIMEOUT_S = 600.0


# -- bodies ------------------------------------------------------------------------------------------------
def _records(megabytes: float, render: Callable[[int, random.Random], str], sep: str = "") -> str:
    rng = random.Random(7)
    goal = int(megabytes * 1024 * 1024)
    out: list[str] = []
    size = i = 0
    while size < goal:
        piece = render(i, rng)
        out.append(piece)
        size += len(piece) + len(sep)
        i += 1
    return sep.join(out)


def _json_record(i: int, rng: random.Random) -> str:
    rec = {
        "id": i, "name": f"customer {i}", "email": f"user{i}@example.com", "active": rng.random() < 0.5,
        "balance": round(rng.uniform(-1000, 10000), 2),
        "tags": rng.sample(["gold", "silver", "new", "vip", "eu", "us"], 2),
        "address": {"street": f"{i} Main Street", "city": "Springfield", "zip": f"{i % 99999:05d}"},
        "note": None,
    }
    return json.dumps(rec, separators=(",", ":"))


def make_body(megabytes: float, kind: str = "json") -> bytes:
    """A body of about `megabytes` MB of the kind's shape (minified, so pretty-printing has work to do)."""
    if kind in ("json", "json-one-line"):
        return ("[" + _records(megabytes, _json_record, ",") + "]").encode()
    if kind == "text":
        return _records(megabytes, lambda i, rng: (
            f"2026-11-27T10:{i // 60 % 60:02d}:{i % 60:02d}Z INFO request {i} served in "
            f"{rng.randint(1, 900)} ms for user{i % 977}@example.com\n")).encode()
    if kind == "xml":
        return ('<?xml version="1.0" encoding="UTF-8"?><customers>' + _records(megabytes, lambda i, rng: (
            f'<customer id="{i}" active="{str(rng.random() < 0.5).lower()}"><name>customer {i}</name>'
            f"<email>user{i}@example.com</email><balance>{rng.uniform(-1000, 10000):.2f}</balance>"
            f"<!-- row {i} --><address><city>Springfield</city><zip>{i % 99999:05d}</zip></address>"
            "</customer>")) + "</customers>").encode()
    if kind == "html":
        return ("<!DOCTYPE html><html><head><title>Customers</title><style>td { color: #333 }</style></head>"
                "<body><table>" + _records(megabytes, lambda i, rng: (
                    f'<tr class="row"><td>{i}</td><td><a href="/customers/{i}">customer {i}</a></td>'
                    f"<td>user{i}@example.com</td><td>{rng.uniform(-1000, 10000):.2f}</td></tr>"))
                + "</table></body></html>").encode()
    raise ValueError(f"Unknown kind {kind!r}: use one of {', '.join(KINDS)}.")


def exchange_for(body: bytes, kind: str) -> Exchange:
    response = Response(200, "OK", (("Content-Type", CONTENT_TYPES[kind]),), body, len(body))
    spec = RequestSpec(url="http://127.0.0.1/large")
    return Exchange(spec=spec, hops=(Hop("GET", spec.url, (), b"", response, 0.5),))


# -- measuring ---------------------------------------------------------------------------------------------
def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


class PeakMemory:
    """Peak RSS over a baseline: VmHWM after resetting it, or VmRSS sampled on a timer."""

    def __init__(self) -> None:
        self.base_kb = _status_kb("VmRSS")
        self.sampled = self.base_kb
        self.timer: QTimer | None = None
        try:
            Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
            self.hwm = True
        except OSError:
            self.hwm = False
            self.timer = QTimer()
            self.timer.setInterval(5)
            self.timer.timeout.connect(self._sample)
            self.timer.start()

    def _sample(self) -> None:
        self.sampled = max(self.sampled, _status_kb("VmRSS"))

    def extra_mb(self) -> float:
        if self.timer is not None:
            self._sample()
            self.timer.stop()
        peak = _status_kb("VmHWM") if self.hwm else self.sampled
        return max(0, peak - self.base_kb) / 1024


def _spin(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


def _wait(done: Callable[[], bool], timeout_s: float) -> bool:
    return wait_until(done, timeout_s, slice_ms=20, nap_s=0.002)


def _ms(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round((b - a) * 1000, 1)


def _warm_up(kind: str) -> None:
    """What a session has done before a large body comes, so that what is loaded once per process is not the
    large body's: the modules a first answer needs, which the window imports on a job while the first request
    is in flight (ui/tab.py RESULT_MODULES), and the kind's lexer run once on a small body (Pygments' lexer
    modules are imported when a body is first coloured)."""
    import_modules(RESULT_MODULES)
    sample = make_body(WARM_UP_MB, kind).decode()
    lexer = choose_lexer(CONTENT_TYPES[kind], sample[:4096])
    for _ in iter_range_batches(lexer, pretty_markup(sample, kind) if kind in ("xml", "html") else sample):
        pass
    gc.collect()


WARM_UP_MB = 0.05


def run_case(megabytes: float, kind: str, warm_up: bool = True) -> dict[str, Any]:
    """Show one body, measure it, and return the figures (FIELDS plus a few details)."""
    app = QApplication.instance() or QApplication(sys.argv)
    if warm_up:
        _warm_up(kind)
    body = make_body(megabytes, kind)
    exchange = exchange_for(body, kind)
    view = ResponseView()
    view.resize(1100, 800)
    view.show()
    view.pretty_check.setChecked(kind != "json-one-line")
    _spin(app, 0.2)

    bv = view.large_view
    marks: dict[str, float] = {}
    bv.first_screen_shown.connect(lambda: marks.setdefault("first_screen", time.perf_counter()))
    bv.highlight_applied.connect(lambda: marks.setdefault("first_colours", time.perf_counter()))
    view.highlight_done.connect(lambda _stats: marks.setdefault("highlight_done", time.perf_counter()))

    def jump_to_end() -> None:  # as soon as the whole text is there, the user jumps to its end
        if "end_jump" not in marks:
            bar = bv.verticalScrollBar()
            bar.setValue(bar.maximum())
            marks["end_jump"] = time.perf_counter()

    bv.text_complete.connect(jump_to_end)

    def end_coloured() -> bool:
        if "end_jump" in marks and "end_coloured" not in marks and bv.line_count() > 1 \
                and bv.is_coloured(bv.line_count() - 1):
            marks["end_coloured"] = time.perf_counter()
        return "end_coloured" in marks

    memory = PeakMemory()
    meter = StallMeter()
    meter.start()
    t0 = time.perf_counter()
    view.show_exchange(exchange)

    def loaded() -> bool:
        coloured = end_coloured()  # checked on every turn of the event loop, not only at the end
        highlighted = bool(view.body_info and view.body_info.highlighted)
        return "highlight_done" in marks and "end_jump" in marks and (coloured or not highlighted)

    ok = _wait(loaded, LOAD_TIMEOUT_S)
    if not ok:
        raise SystemExit(f"{kind}: the body did not load and highlight within {LOAD_TIMEOUT_S:.0f} s")
    highlight_s = marks["highlight_done"] - t0
    _spin(app, 0.2)

    # scrolling: page down from the top through 60 pages, a synchronous repaint each; sideways for one line
    bar = bv.verticalScrollBar()
    bar.setValue(0)
    _spin(app, 0.1)
    frames: list[float] = []
    frames_cpu: list[float] = []
    hbar = bv.horizontalScrollBar()
    for step in range(60):
        t = time.perf_counter()
        c = time.thread_time()
        if kind == "json-one-line" and step % 2:
            hbar.setValue(min(hbar.maximum(), hbar.value() + hbar.pageStep()))
        else:
            bar.setValue(bar.value() + bar.pageStep())
        bv.viewport().repaint()
        frames_cpu.append(time.thread_time() - c)
        frames.append(time.perf_counter() - t)
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
    # the wheel: three lines a step, the paint the event loop does (only the lines that came into view)
    bar.setValue(0)
    _spin(app, 0.1)
    wheel: list[float] = []
    for _step in range(60):
        t = time.perf_counter()
        bar.setValue(bar.value() + 3)
        app.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        wheel.append(time.perf_counter() - t)
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
    _spin(app, 0.1)
    meter.stop()
    peak_extra = memory.extra_mb()

    info = view.body_info
    stats = view.last_stats
    shown = view.body_text()
    pygments_s = pygments_cpu_s = None
    if info is not None and info.highlighted:
        lexer = choose_lexer(CONTENT_TYPES[kind], shown[:4096])
        t = time.perf_counter()
        c = time.thread_time()
        for _ in lexer.get_tokens(shown):
            pass
        pygments_cpu_s = time.thread_time() - c
        pygments_s = time.perf_counter() - t
    body_mb = len(body) / 1024 / 1024
    cpu_s = getattr(stats, "cpu_s", None)  # (absent in versions before the figure was kept)
    result: dict[str, Any] = {
        "case": f"{kind}-{megabytes:g}mb",
        "body_mb": round(body_mb, 2),
        "first_screen_ms": _ms(t0, marks.get("first_screen")),
        "first_colours_ms": _ms(t0, marks.get("first_colours")),
        "worst_stall_ms": round(meter.worst * 1000, 1),
        "scroll_frame_ms": round(statistics.median(frames) * 1000, 2),
        "end_coloured_after_jump_ms": _ms(marks.get("end_jump"), marks.get("end_coloured"))
        if info is not None and info.highlighted else None,
        "highlight_s": round(highlight_s, 3),
        "pygments_s": None if pygments_s is None else round(pygments_s, 3),
        "peak_rss_extra_mb": round(peak_extra, 1),
        # details and ratios (not part of the contract above)
        "highlight_ratio": None if not pygments_s else round(highlight_s / pygments_s, 2),
        # the same in CPU time (the worker thread's, and the lexing thread's): what other processes on a
        # shared machine do not change
        "highlight_cpu_s": None if cpu_s is None else round(cpu_s, 3),
        "pygments_cpu_s": None if pygments_cpu_s is None else round(pygments_cpu_s, 3),
        "highlight_cpu_ratio": None if not pygments_cpu_s or cpu_s is None else round(cpu_s / pygments_cpu_s, 2),
        "scroll_frame_cpu_ms": round(sum(frames_cpu) / len(frames_cpu) * 1000, 2),
        "rss_ratio": round(peak_extra / body_mb, 2),
        "scroll_gaps_over_50ms": sum(1 for f in frames if f > 0.05),
        "worst_scroll_frame_ms": round(max(frames) * 1000, 1),
        "wheel_frame_ms": round(statistics.median(wheel) * 1000, 2),
        "highlighted": bool(info and info.highlighted),
        "pretty": bool(info and info.pretty),
        "shown_mb": round(len(shown) / 1024 / 1024, 2),
        "lines": bv.line_count(),
        "ranges": stats.ranges if stats else 0,
        "warmed_up": warm_up,
    }
    view.shutdown()
    view.deleteLater()
    app.processEvents()
    return result


def _table(rows: list[dict[str, Any]]) -> str:
    cols = [*FIELDS, "highlight_ratio", "highlight_cpu_ratio", "rss_ratio", "scroll_frame_cpu_ms",
            "scroll_gaps_over_50ms", "wheel_frame_ms"]
    cells = [[("-" if r.get(c) is None else str(r.get(c))) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0, help="body size in MB (default 10)")
    parser.add_argument("--kind", choices=KINDS, action="append",
                        help="the body's kind (repeat for several; default json)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per line per case")
    parser.add_argument("--cold", action="store_true",
                        help="no small body of the kind first: the large one pays for loading the lexers")
    args = parser.parse_args(argv)
    rows = []
    kinds = args.kind or ["json"]
    for kind in kinds:
        if len(kinds) == 1:
            row = run_case(args.mb, kind, warm_up=not args.cold)
        else:  # a process per case: memory freed by one case would hide the next one's peak
            done = subprocess.run([sys.executable, __file__, "--mb", str(args.mb), "--kind", kind, "--json",
                                   *(["--cold"] if args.cold else [])],
                                  capture_output=True, text=True, check=True, timeout=1800)
            row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        if args.json:
            print(json.dumps(row), flush=True)
    if not args.json:
        print(_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
