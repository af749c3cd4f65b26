"""How usable a profile file is: ready, secret missing, or broken. Light on imports: the picker beside the URL
bar needs these at start-up, long before the profile folders are read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

READY = "ready"
SECRET_MISSING = "secret missing"
BROKEN = "broken"


@dataclass(frozen=True)
class ProfileStatus:
    """How usable one profile file is, and a sentence saying why (shown as a tooltip)."""

    state: str  # ready | secret missing | broken
    detail: str = ""
    path: Path | None = None
    line: int | None = None
    folder_kind: str = ""  # personal | team (known for broken files too, from the store)

    @property
    def label(self) -> str:
        """A short status for a table cell: 'ready', 'secret missing', 'broken file (line 3)'."""
        if self.state == BROKEN:
            return f"broken file (line {self.line})" if self.line else "broken file"
        return self.state


def identity_of(path: Path) -> str:
    """The identity (folder plus file stem) of a profile file, also for files that did not load."""
    path = Path(path)
    return str(path.parent / path.stem)
