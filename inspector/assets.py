"""The one way to read the application's resources (resources/ in the source tree, inspector.resources once
installed): the icon, the desktop entry, the demo profiles and collection, style sheets; and the README's
quick start for the Help menu."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

APP_ID = "request-inspector"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resource(*parts: str) -> Traversable:
    """A file or folder of the resources, e.g. resource("icons", "request-inspector.svg")."""
    return resources.files("inspector.resources").joinpath(*parts)


def icon_png(size: int) -> Traversable:
    """The application icon as a PNG of one of ICON_SIZES."""
    return resource("icons", f"{APP_ID}-{size}.png")


def icon_svg() -> Traversable:
    return resource("icons", f"{APP_ID}.svg")


QUICK_START_TITLE = "Try it"  # the README section the Help menu's Quick start shows
_QUICK_START_FALLBACK = """Pick a request from **Examples** (or type a URL), press **Ctrl+Enter** to send it,
and read the panel on the right: it says why the server answered 401 or 403, with the evidence and a next
step. `python main.py --demo` starts the demo API with requests and profiles to try."""


def readme_text() -> str:
    """The README: the source tree's, else the installed distribution's long description ("" if neither)."""
    source = Path(__file__).resolve().parent.parent / "README.md"
    try:
        return source.read_text(encoding="utf-8")
    except OSError:
        pass
    from importlib import metadata

    try:
        meta = metadata.metadata(APP_ID)
    except metadata.PackageNotFoundError:
        return ""
    return str(meta.get_payload() or meta.get("Description") or "")  # type: ignore[attr-defined]


def markdown_section(text: str, title: str) -> str:
    """The body of the first `## ` section whose title starts with title (code blocks kept whole); ""."""
    lines: list[str] = []
    inside = fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            if inside:
                break
            inside = line[3:].strip().startswith(title)
            continue
        if inside:
            lines.append(line)
    return "\n".join(lines).strip()


def quick_start_markdown() -> str:
    """The README's quick start ("Try it"), as Markdown."""
    return markdown_section(readme_text(), QUICK_START_TITLE) or _QUICK_START_FALLBACK
