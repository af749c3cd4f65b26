"""The one way to read the application's resources (resources/ in the source tree, inspector.resources once
installed): the icon, the desktop entry, the demo profiles and collection, style sheets."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

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
