"""Scrubbing by value: a Redactor remembers secret values and hides them wherever they turn up."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from inspector.core.redact.mask import mask


class Redactor:
    """Remembers secret values and scrubs them from any text. Thread-safe enough: add() only grows a set."""

    MIN_LEN = 4  # shorter values would mask ordinary words

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        """Remember one secret value (and its percent-encoded form, as it appears in URLs)."""
        if secret and len(secret) >= self.MIN_LEN:
            self._secrets.add(secret)
            quoted = quote(secret, safe="")
            if quoted != secret:
                self._secrets.add(quoted)

    def __contains__(self, text: str) -> bool:
        return any(s in text for s in self._secrets)

    def values(self) -> tuple[str, ...]:
        """The secret values it knows (to seed another Redactor, e.g. one built on a worker thread)."""
        return tuple(self._secrets)

    def scrub(self, text: str) -> str:
        """The text with every known secret value masked (longest first, so no secret is half-masked)."""
        for s in sorted(self._secrets, key=len, reverse=True):
            if s in text:
                text = text.replace(s, mask(s))
        return text


class Scrubber:
    """Several Redactors used as one: the caller's (profile secrets) and one seeded from the exchange."""

    def __init__(self, *redactors: Redactor | None) -> None:
        self._redactors = [r for r in redactors if r is not None]

    def scrub(self, text: str) -> str:
        """The text scrubbed by every Redactor in turn."""
        for r in self._redactors:
            text = r.scrub(text)
        return text

    def __contains__(self, text: str) -> bool:
        return any(text in r for r in self._redactors)


@dataclass(frozen=True)
class Secrets:
    """What one send's outputs must mask beyond what names alone reveal: the secret values it saw (the
    profile's resolved secrets, a fetched token) and the extra header/query/JSON names the profile uses."""

    values: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def redactor(self) -> Redactor:
        return Redactor(self.values)

    def scrub(self, text: str) -> str:
        return self.redactor().scrub(text)

    def with_values(self, more: Iterable[str]) -> Secrets:
        return Secrets(tuple(dict.fromkeys((*self.values, *more))), self.names)


NO_SECRETS = Secrets()


def scrub_tree(obj: object, scrub: Callable[[str], str]) -> object:
    """A copy of a JSON-like value with `scrub` applied to every string value (never to keys or structure).

    Scrubbing serialized JSON as text would let a secret that happens to read like JSON ("null", a field
    name, a quote) rewrite the document itself.
    """
    if isinstance(obj, str):
        return scrub(obj)
    if isinstance(obj, Mapping):
        return {k: scrub_tree(v, scrub) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [scrub_tree(v, scrub) for v in obj]
    return obj


def jsonable_tree(obj: object) -> object:
    """The value as json.dumps(default=str) would see it: anything not JSON becomes its str()."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, Mapping):
        return {str(k): jsonable_tree(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable_tree(v) for v in obj]
    return str(obj)
