"""Names a package loads on first use (PEP 562), so importing one part of it does not import all of it."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """The package's module `__getattr__`: `name` is imported from the module `where[name]` names relative to
    the package ("model", "rules.scope", ".expectations" for a sibling) and kept as the package's attribute."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)  # the next lookup finds it without coming here
        return value

    return __getattr__
