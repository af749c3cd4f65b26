"""benchmarks/run_all.py's table: the README quotes the last full run, and stays in step with RESULTS.md."""

from __future__ import annotations

from pathlib import Path

from benchmarks.run_all import README_END, README_START, quote_in_readme

ROOT = Path(__file__).resolve().parents[1]


def _table(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ")]


def test_the_table_goes_between_the_markers_and_nowhere_else() -> None:
    readme = f"# Title\n\nbefore\n\n{README_START}\nold stamp\n\n| old | table |\n{README_END}\n\nafter\n"
    quoted = quote_in_readme(readme, "| new | table |", "new stamp")
    assert quoted == f"# Title\n\nbefore\n\n{README_START}\nnew stamp\n\n| new | table |\n{README_END}\n\nafter\n"
    assert quote_in_readme(quoted, "| new | table |", "new stamp") == quoted  # again: the same text
    assert quote_in_readme("no markers here\n", "| t |", "s") == "no markers here\n"


def test_the_readme_quotes_the_table_of_results_md() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index(README_START):readme.index(README_END)]
    results = (ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    assert _table(block) and _table(block) == _table(results)
