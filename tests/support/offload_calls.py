"""Functions the helper process runs in tests/core/test_offload.py (module-level, so the helper can import
them by name)."""

from __future__ import annotations


class NeedsTwo(Exception):
    """An exception whose __init__ takes other arguments than it passes on: it does not unpickle."""

    def __init__(self, what: str, where: str) -> None:
        super().__init__(f"{what} at {where}")


def raise_needs_two() -> None:
    raise NeedsTwo("refused", "the gate")


def nested_sum() -> int:
    """Asks the helper from inside the helper: no process can start there, so it runs in place."""
    from inspector.core.offload import HELPER

    return HELPER.call(sum, [1, 2, 3]) + (100 if HELPER.unavailable else 0)
