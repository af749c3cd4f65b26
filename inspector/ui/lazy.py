"""Parts of a pane made on first use: the window is ready sooner when what an empty pane hides is not built.

    class Pane(QWidget):
        table = BuiltOnUse[QTableWidget]("_build_table")   # reading pane.table first runs pane._build_table()

        def _build_table(self) -> None:
            self.table = QTableWidget(self)                   # stored; later reads return it

`is_built(pane, "table")` tells, without building it, whether it was made.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

__all__ = ["BuiltOnUse", "is_built"]

T = TypeVar("T")


def _key(name: str) -> str:
    return f"_built_{name}"


class BuiltOnUse(Generic[T]):
    """An attribute set by a builder method of its object, which is called the first time it is read."""

    def __init__(self, builder: str) -> None:
        self.builder = builder
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> BuiltOnUse[T]: ...

    @overload
    def __get__(self, obj: object, owner: type) -> T: ...

    def __get__(self, obj: object | None, owner: type) -> Any:
        if obj is None:
            return self
        store = obj.__dict__
        key = _key(self.name)
        if key not in store:
            getattr(obj, self.builder)()
            if key not in store:
                raise AttributeError(f"{type(obj).__name__}.{self.builder}() did not make {self.name!r}.")
        return store[key]

    def __set__(self, obj: object, value: T) -> None:
        obj.__dict__[_key(self.name)] = value


def is_built(obj: object, name: str) -> bool:
    """Whether the BuiltOnUse attribute `name` of obj was made (reading it would make it)."""
    return _key(name) in obj.__dict__
