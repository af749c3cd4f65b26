"""Run every benchmark and write the table of issue 13's measures: figure, baseline, ratio, goal, met?

    python benchmarks/run_all.py [--only startup,send,...] [--skip large-body-96mb] [--out FILE]

Each script runs in its own process with --json and prints one JSON object per line per case (the contracts
are in each script's docstring). A script that is not there gives rows "not run: missing"; one that fails or
prints no usable line gives "not run: failed ...". The Markdown table goes to stdout and to --out; a run of every
script writes it to benchmarks/RESULTS.md (unless --out says otherwise) and puts it in README.md between
README_START and README_END (--readme), so both quote the last full run; a partial run (--only, --skip) writes
only where --out says. Figures are medians measured on this machine in this run; the ratios are what the goals
are about.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HEADER = ("measure", "figure", "baseline", "ratio", "goal", "met?")
README_START = "<!-- benchmarks/run_all.py writes the table below -->"
README_END = "<!-- end of the table run_all.py writes -->"
Case = dict[str, object]
Row = tuple[str, str, str, str, str, str]


@dataclass(frozen=True)
class Bench:
    """One run of one script, and how its JSON lines become rows of the table."""

    name: str  # for --only / --skip
    script: str
    args: tuple[str, ...]
    rows: Callable[[dict[str, Case]], list[Row]]
    measures: tuple[str, ...]  # the measures it reports: the rows when it could not run


# --- formatting ------------------------------------------------------------------------------------------


def num(case: Case | None, key: str) -> float | None:
    value = case.get(key) if case else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def ms(value: float | None) -> str:
    return "not reported" if value is None else f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def met(value: float | None, goal: float) -> str:
    return "—" if value is None else ("yes" if value <= goal else "no")


def ratio_of(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def stall_row(measure: str, case: Case | None, goal_ms: float, key: str = "worst_stall_ms") -> Row:
    value = num(case, key)
    return (measure, ms(value), "—", "—", f"≤ {goal_ms:.0f} ms", met(value, goal_ms))


def ratio_row(measure: str, figure: str, baseline: str, ratio: float | None, goal: float) -> Row:
    return (measure, figure, baseline, times(ratio), f"≤ {goal:g}×", met(ratio, goal))


# --- each script's rows ----------------------------------------------------------------------------------


def large_body_rows(label: str, stall_goal_ms: float, *, colours: bool = False,
                    scroll: bool = False, first_screen: bool = False) -> Callable[[dict[str, Case]], list[Row]]:
    def rows(cases: dict[str, Case]) -> list[Row]:
        case = next(iter(cases.values()), None)
        body_mb = num(case, "body_mb")
        out: list[Row] = [stall_row(f"{label}: longest UI stall", case, stall_goal_ms)]
        peak = num(case, "peak_rss_extra_mb")
        out.append(ratio_row(f"{label}: peak extra memory", "not reported" if peak is None else f"{peak:,.1f} MB",
                             "not reported" if body_mb is None else f"the body, {body_mb:,.1f} MB",
                             ratio_of(peak, body_mb), 3))
        if first_screen:
            value = num(case, "first_screen_ms")
            out.append((f"{label}: first screen", ms(value), "—", "—", "≤ 100 ms", met(value, 100)))
        if scroll:
            value = num(case, "scroll_frame_ms")
            out.append((f"{label}: repaint while scrolling", ms(value) + " a frame", "—", "—", "≤ 8 ms a frame",
                        met(value, 8)))
        if colours:
            value = num(case, "end_coloured_after_jump_ms")
            out.append((f"{label}: end coloured after jumping there", ms(value), "—", "—", "≤ 500 ms",
                        met(value, 500)))
            ours, pygments = num(case, "highlight_s"), num(case, "pygments_s")
            out.append(ratio_row(f"{label}: total highlighting vs Pygments' own lexing",
                                 "not reported" if ours is None else f"{ours:.2f} s",
                                 "not reported" if pygments is None else f"Pygments {pygments:.2f} s",
                                 ratio_of(ours, pygments), 1.3))
        return out
    return rows


def startup_rows(cases: dict[str, Case]) -> list[Row]:
    out: list[Row] = []
    for case_name, measure, goal in (("on-screen", "window on screen vs an empty QMainWindow", 1.3),
                                     ("ready", "window ready (panes, profiles, history) vs the empty window",
                                      2.0)):
        case = cases.get(case_name)
        ours, empty = num(case, "ours_s"), num(case, "empty_window_s")
        out.append(ratio_row(measure, "not reported" if ours is None else f"{ours * 1000:,.0f} ms",
                             "not reported" if empty is None else f"empty window {empty * 1000:,.0f} ms",
                             num(case, "ratio") or ratio_of(ours, empty), goal))
    case = cases.get("on-screen") or cases.get("ready")
    out.append(stall_row("longest UI-thread stall in the first second after the window appears", case, 50,
                         key="worst_stall_after_paint_ms"))
    return out


def send_rows(cases: dict[str, Case]) -> list[Row]:
    out: list[Row] = []
    for case_name, measure in (("https", "HTTPS send with certificate checks vs a reused requests.Session"),
                               ("http", "HTTP send vs a reused session")):
        case = cases.get(case_name)
        ours, reused = num(case, "ours_ms"), num(case, "reused_session_ms")
        out.append(ratio_row(measure, ms(ours), "not reported" if reused is None else f"reused {ms(reused)}",
                             num(case, "ratio") or ratio_of(ours, reused), 1.2))
    return out


def history_rows(cases: dict[str, Case]) -> list[Row]:
    return [stall_row("history: lowering the keep limit 50k → 10k", cases.get("trim-50k-to-10k"), 50),
            stall_row("history: Clear all", cases.get("clear-all"), 50),
            stall_row("history: first send into a history over its limit", cases.get("first-add-over-limit"), 50)]


def memory_rows(cases: dict[str, Case]) -> list[Row]:
    idle = cases.get("idle")
    ours, empty = num(idle, "ours_mb"), num(idle, "empty_window_mb")
    out = [ratio_row("idle window memory vs the empty window",
                     "not reported" if ours is None else f"{ours:,.1f} MB",
                     "not reported" if empty is None else f"empty window {empty:,.1f} MB",
                     num(idle, "ratio") or ratio_of(ours, empty), 1.5)]
    after = cases.get("after-1000-sends")
    growth = num(after, "growth_mb")
    out.append(("memory over 1,000 sends (growth after warm-up)",
                "not reported" if growth is None else f"{growth:+,.1f} MB", "—", "—", "flat (≤ 2 MB)",
                met(None if growth is None else abs(growth), 2)))
    return out


def request_body_rows(cases: dict[str, Case]) -> list[Row]:
    out = []
    for shape in ("pretty", "one-line"):
        case = cases.get(shape)
        size = num(case, "body_mb")
        ours, bare = num(case, "worst_stall_ms"), num(case, "bare_editor_stall_ms")
        what = f"{size:.1f} MB" if size is not None else "large"
        out.append((f"request body: pasting {what} of {shape} JSON, longest stall (and typing a URL after it)",
                    f"{ms(ours)} ({ms(num(case, 'keys_worst_stall_ms'))})", f"a bare QPlainTextEdit {ms(bare)}",
                    times(ratio_of(ours, bare)), "≤ 50 ms", met(ours, 50)))
    return out


def dialog_rows(cases: dict[str, Case]) -> list[Row]:
    out = []
    for case, what in (("report", "the support report"), ("curl", "copy as curl")):
        got = cases.get(case)
        size = num(got, "body_mb")
        ours, thread = num(got, "worst_stall_ms"), num(got, "thread_worst_stall_ms")
        mb = f"{size:.1f} MB" if size is not None else "large"
        out.append((f"{what} of an exchange with {mb} bodies: longest stall from opening until it shows",
                    ms(ours), f"built on a worker thread {ms(thread)}", times(ratio_of(ours, thread)), "≤ 50 ms",
                    met(ours, 50)))
    return out


def har_rows(cases: dict[str, Case]) -> list[Row]:
    got = cases.get("har")
    size, ours, loads = num(got, "file_mb"), num(got, "worst_stall_ms"), num(got, "json_loads_stall_ms")
    mb = f"{size:.0f} MB" if size is not None else "a large"
    return [(f"Open HAR: {mb} file, longest stall until its requests are listed", ms(ours),
             f"json.loads of it on a worker thread {ms(loads)}", times(ratio_of(ours, loads)), "≤ 50 ms",
             met(ours, 50))]


BENCHES: tuple[Bench, ...] = (
    Bench("large-body-json-10mb", "bench_large_body.py", ("--kind", "json", "--mb", "10"),
          large_body_rows("10 MB pretty JSON", 50, colours=True),
          ("10 MB pretty JSON: longest stall, peak memory, end coloured, highlighting vs Pygments",)),
    Bench("large-body-json-96mb", "bench_large_body.py", ("--kind", "json", "--mb", "96"),
          large_body_rows("96 MB JSON body", 100), ("96 MB JSON body: longest stall, peak memory",)),
    Bench("large-body-json-one-line", "bench_large_body.py", ("--kind", "json-one-line", "--mb", "10"),
          large_body_rows("10 MB one-line JSON, Pretty off", 50, scroll=True),
          ("10 MB one-line JSON, Pretty off: repaint while scrolling",)),
    Bench("large-body-xml", "bench_large_body.py", ("--kind", "xml", "--mb", "5"),
          large_body_rows("5 MB XML", 50, first_screen=True), ("5 MB XML: first screen",)),
    Bench("large-body-text", "bench_large_body.py", ("--kind", "text", "--mb", "10"),
          large_body_rows("10 MB text", 50), ("10 MB text: longest stall, peak memory",)),
    Bench("large-body-html", "bench_large_body.py", ("--kind", "html", "--mb", "10"),
          large_body_rows("10 MB HTML", 50), ("10 MB HTML: longest stall, peak memory",)),
    Bench("startup", "bench_startup.py", (), startup_rows,
          ("window on screen / ready vs an empty QMainWindow, stall after the first paint",)),
    Bench("send", "bench_send.py", (), send_rows, ("HTTPS / HTTP send vs a reused requests.Session",)),
    Bench("history", "bench_history.py", (), history_rows,
          ("history: keep limit 50k → 10k, Clear all, first send over the limit",)),
    Bench("memory", "bench_memory.py", (), memory_rows, ("idle window memory, memory over 1,000 sends",)),
    Bench("request-body", "bench_request_body.py", (), request_body_rows,
          ("request body: pasting megabytes of pretty JSON", "request body: pasting megabytes of one-line JSON")),
    Bench("har", "bench_har.py", (), har_rows, ("Open HAR: a large file",)),
    Bench("dialogs", "bench_dialogs.py", (), dialog_rows,
          ("the support report of an exchange with large bodies", "copy as curl of an exchange with large bodies")),
)


def run(bench: Bench, timeout_s: float) -> tuple[list[Row], str]:
    """The bench's rows, and a line for the log (how it went, how long it took)."""
    script = HERE / bench.script
    if not script.is_file():
        return [(m, "not run: missing", "—", "—", "—", "—") for m in bench.measures], f"{bench.script}: missing"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, str(script), *bench.args, "--json"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        why = f"not run: failed (no answer in {timeout_s:.0f} s)"
        return [(m, why, "—", "—", "—", "—") for m in bench.measures], f"{bench.script}: {why}"
    took = time.monotonic() - started
    cases: dict[str, Case] = {}
    for line in done.stdout.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            cases[str(value.get("case", len(cases)))] = value
    if done.returncode != 0 or not cases:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1][:120]
        why = f"not run: failed (exit {done.returncode}: {last})"
        return [(m, why, "—", "—", "—", "—") for m in bench.measures], f"{bench.script} {' '.join(bench.args)}: {why}"
    return bench.rows(cases), f"{bench.script} {' '.join(bench.args)}: {len(cases)} cases in {took:.0f} s"


def markdown(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def quote_in_readme(readme: str, table: str, stamp: str) -> str:
    """The README's text with the table (and the line saying where it comes from) between its markers; the
    text unchanged when it has no markers."""
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        return readme
    block = f"{README_START}\n{stamp}\n\n{table}\n"
    return readme[:start] + block + readme[end:]


def machine() -> str:
    try:
        from PySide6 import __version__ as qt
    except ImportError:  # pragma: no cover - the window's dependency
        qt = "?"
    return (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.system()} {platform.machine()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, PySide6 {qt}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [b.name for b in BENCHES]
    parser.add_argument("--only", default="", help=f"comma-separated, of: {', '.join(names)}")
    parser.add_argument("--skip", default="", help="comma-separated names not to run")
    parser.add_argument("--out", type=Path, default=None,
                        help="the Markdown file written (a full run: benchmarks/RESULTS.md; a partial one: none)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds each script may take")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md",
                        help="the README quoting the table (only after a run of every script)")
    args = parser.parse_args(argv)
    only = {n for n in args.only.split(",") if n}
    skip = {n for n in args.skip.split(",") if n}
    unknown = (only | skip) - set(names)
    if unknown:
        parser.error(f"unknown benchmark {', '.join(sorted(unknown))}; choose from {', '.join(names)}")
    rows: list[Row] = []
    log: list[str] = []
    for bench in BENCHES:
        if (only and bench.name not in only) or bench.name in skip:
            continue
        print(f"running {bench.script} {' '.join(bench.args)} …", file=sys.stderr, flush=True)
        got, line = run(bench, args.timeout)
        rows += got
        log.append(line)
        print(f"  {line}", file=sys.stderr, flush=True)
    table = markdown(rows)
    stamp = machine()
    text = (f"# Benchmark results\n\nWritten by `python benchmarks/run_all.py` ({stamp}). Each figure is "
            "measured against its baseline in the same run; the goals are issue 13's.\n\n"
            f"{table}\n\nRuns:\n\n" + "\n".join(f"- {line}" for line in log) + "\n")
    full = not only and not skip
    out = args.out or (HERE / "RESULTS.md" if full else None)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    if full and args.readme.is_file():
        readme = args.readme.read_text(encoding="utf-8")
        quoted = quote_in_readme(readme, table, f"Measured by `python benchmarks/run_all.py` ({stamp}):")
        if quoted != readme:
            args.readme.write_text(quoted, encoding="utf-8")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
