"""pyproject.toml lists every package under inspector/ (they are listed, not discovered: see its comment)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_for_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "inspector").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert set(config["packages"]) == found | {"inspector.resources"}
    assert config["package-dir"] == {"inspector.resources": "resources"}
