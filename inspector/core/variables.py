"""`{{name}}` variables: where a name's value comes from, substituting them at send time, marking them in an
editor.

Resolution order, first found (shared/specs/collections.md): the tab's own overrides, the request's [vars]
(Postman path variables), the folders' [vars] from the innermost out, the selected environment, the
collection's [vars], then the built-ins {{$uuid}}, {{$timestamp}}, {{$isoTimestamp}}, {{$randomInt}}.

A value may be a secret reference (${secret:KEY}, ${env:NAME}, ${prompt}): it is resolved through the
profiles' Resolver only when a request is about to be sent, and every secret value is handed back so the
caller feeds it to the Redactor; a variable whose name says it is secret (token, password, ...) is masked too.
A value may hold other {{variables}}; a loop is an error, not a hang.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from inspector.core.errors import InspectorError
from inspector.core.redact import mask

__all__ = [
    "BUILTINS",
    "Substitution",
    "UnresolvedVariable",
    "VariableError",
    "VariableScope",
    "VariableSpan",
    "find_variables",
    "variable_names",
]

VARIABLE_RE = re.compile(r"\{\{\s*([^{}\s][^{}]*?)\s*\}\}")
BUILTINS = ("$uuid", "$timestamp", "$isoTimestamp", "$randomInt")
_ALIASES = {"$guid": "$uuid", "$randomUUID": "$uuid"}  # Postman spells the same thing these ways too
_REFERENCE_RE = re.compile(r"^\$\{(?:(?:env|secret):[^{}\s]+|prompt)\}$")
# shared/specs/collections.md: a variable is secret when its name contains one of these
SECRET_NAME_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "access_key",
    "private",
    "credential",
    "auth",
)
MAX_NESTING = 10  # {{a}} -> {{b}} -> ...: deeper than this is a loop or a mistake

Source = Literal["override", "request", "folder", "environment", "collection", "builtin"]
Status = Literal["resolved", "secret", "builtin", "unresolved"]


class VariableError(InspectorError):
    """A variable cannot be resolved (unset, a loop, a secret that cannot be found)."""


class UnresolvedVariable(VariableError):
    """One or more {{names}} are set nowhere: the send stops before anything leaves the machine."""

    def __init__(
        self, message: str, *, names: tuple[str, ...], request: str, environment: str | None
    ) -> None:
        super().__init__(message)
        self.names = names
        self.request = request
        self.environment = environment


def is_reference(value: str) -> bool:
    """A whole value that is a secret reference (${secret:KEY}, ${env:NAME}, ${prompt})."""
    return bool(_REFERENCE_RE.match(value.strip()))


def is_secret_name(name: str) -> bool:
    """A variable name that says it holds a secret (password, token, api_key, ...)."""
    low = name.lower()
    return any(word in low for word in SECRET_NAME_WORDS)


def variable_names(text: str) -> list[str]:
    """The {{names}} used in a text, in order, without repeats."""
    seen: dict[str, None] = {}
    for m in VARIABLE_RE.finditer(text):
        seen.setdefault(m.group(1), None)
    return list(seen)


@dataclass(frozen=True)
class Lookup:
    """Where a name's value was found and the value as written (a reference is not resolved here)."""

    name: str
    source: Source
    raw: str
    secret: bool


@dataclass(frozen=True)
class VariableScope:
    """Every place a name can be set for one request, in resolution order."""

    overrides: Mapping[str, str] = field(default_factory=dict)
    request: Mapping[str, str] = field(default_factory=dict)
    folders: tuple[Mapping[str, str], ...] = ()  # innermost first
    environment: Mapping[str, str] = field(default_factory=dict)
    environment_name: str | None = None
    collection: Mapping[str, str] = field(default_factory=dict)
    request_name: str = ""

    def lookup(self, name: str) -> Lookup | None:
        """The first place that sets `name` (built-ins last); None when none does."""
        layers: list[tuple[Source, Mapping[str, str]]] = [
            ("override", self.overrides),
            ("request", self.request),
        ]
        layers += [("folder", f) for f in self.folders]
        layers += [("environment", self.environment), ("collection", self.collection)]
        for source, values in layers:
            if name in values:
                raw = str(values[name])
                return Lookup(name, source, raw, is_reference(raw) or is_secret_name(name))
        if _ALIASES.get(name, name) in BUILTINS:
            return Lookup(name, "builtin", "", False)
        return None

    def where(self) -> str:
        """The places looked in, for a message."""
        if self.environment_name:
            return f"the environment '{self.environment_name}', the collection's variables or the built-ins"
        return "the collection's variables or the built-ins (no environment was chosen)"


@dataclass(frozen=True)
class VariableSpan:
    """One {{name}} in a text and what it resolves to, for an editor to mark while the user types."""

    start: int
    end: int
    name: str
    status: Status
    source: Source | None = None
    shown: str | None = None  # the value to show on hover; masked (or the reference) when secret


def find_variables(text: str, scope: VariableScope) -> tuple[VariableSpan, ...]:
    """Every {{name}} in the text with its status; secrets are never resolved here, only shown masked."""
    spans = []
    for m in VARIABLE_RE.finditer(text):
        name = m.group(1)
        found = scope.lookup(name)
        if found is None:
            spans.append(VariableSpan(m.start(), m.end(), name, "unresolved"))
        elif found.source == "builtin":
            spans.append(
                VariableSpan(m.start(), m.end(), name, "builtin", "builtin", f"({name}, made at send)")
            )
        elif found.secret:
            shown = found.raw if is_reference(found.raw) else mask(found.raw)
            spans.append(VariableSpan(m.start(), m.end(), name, "secret", found.source, shown))
        elif _unresolved_inside(found.raw, scope):
            spans.append(VariableSpan(m.start(), m.end(), name, "unresolved", found.source, found.raw))
        else:
            spans.append(VariableSpan(m.start(), m.end(), name, "resolved", found.source, found.raw))
    return tuple(spans)


def _unresolved_inside(raw: str, scope: VariableScope, depth: int = 0) -> bool:
    if depth > MAX_NESTING:
        return True
    for name in variable_names(raw):
        found = scope.lookup(name)
        if found is None or (not found.secret and _unresolved_inside(found.raw, scope, depth + 1)):
            return True
    return False


@dataclass
class Builtins:
    """The values of the built-in variables; the clock and the random source are injected for tests."""

    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    rng: random.Random = field(default_factory=random.Random)

    def value(self, name: str) -> str:
        name = _ALIASES.get(name, name)
        if name == "$uuid":
            import uuid  # imports platform: not worth it at the window's start-up

            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        now = self.clock()
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        if name == "$timestamp":
            return str(int(now.timestamp()))
        if name == "$isoTimestamp":
            return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        if name == "$randomInt":
            return str(self.rng.randint(0, 1000))
        raise KeyError(name)


class Substitution:
    """Substitutes {{names}} for one send: unresolved names are collected (check() raises them together),
    secret values are collected for the Redactor. `resolver` is a core.profiles.secrets.Resolver."""

    def __init__(
        self, scope: VariableScope, resolver: Any | None = None, *, builtins: Builtins | None = None
    ) -> None:
        self.scope = scope
        self.resolver = resolver
        self.builtins = builtins or Builtins()
        self.secrets: list[str] = []
        self.unresolved: list[str] = []
        self.used: dict[str, Source] = {}
        self.failures: list[VariableError] = []  # secrets that could not be resolved, raised by check()
        self._cache: dict[str, str] = {}  # one value per name per send: {{$uuid}} twice is the same uuid

    def text(self, text: str) -> str:
        """The text with every resolvable {{name}} replaced; unresolved ones are kept and remembered."""
        return self._substitute(text, ())

    def _substitute(self, text: str, chain: tuple[str, ...]) -> str:
        if "{{" not in text:
            return text
        return VARIABLE_RE.sub(lambda m: self._value(m.group(1), m.group(0), chain), text)

    def _value(self, name: str, written: str, chain: tuple[str, ...]) -> str:
        if name in self._cache:
            return self._cache[name]
        if name in chain:
            loop = " -> ".join(f"{{{{{n}}}}}" for n in (*chain, name))
            raise VariableError(
                f"The variables of the request '{self.scope.request_name}' refer to each other in "
                f"a loop ({loop}): give one of them a plain value."
            )
        if len(chain) >= MAX_NESTING:
            raise VariableError(
                f"{{{{{name}}}}} in the request '{self.scope.request_name}' is nested more than "
                f"{MAX_NESTING} variables deep: simplify the variables."
            )
        found = self.scope.lookup(name)
        if found is None:
            if name not in self.unresolved:
                self.unresolved.append(name)
            return written
        self.used[name] = found.source
        if found.source == "builtin":
            value = self.builtins.value(name)
        elif is_reference(found.raw):
            try:
                value = self._secret(found)
            except VariableError as exc:
                self.failures.append(exc)
                return written
        else:
            value = self._substitute(found.raw, (*chain, name))
        if found.secret and value:
            self.secrets.append(value)
        if found.source != "builtin":  # each {{$uuid}} is a new one, as in Postman
            self._cache[name] = value
        return value

    def _secret(self, found: Lookup) -> str:
        from inspector.core.errors import ProfileError

        where = self._where(found)
        if self.resolver is None:
            raise VariableError(
                f"{{{{{found.name}}}}} ({where}) is the secret reference {found.raw.strip()}, and "
                "nothing here can resolve secrets."
            )
        try:
            value: str = self.resolver.resolve(
                found.raw.strip(), profile=f"variable {found.name}", field=found.name
            )
        except ProfileError as exc:
            why = str(exc)
            _, sep, tail = why.partition(", but ")
            reason = tail.rstrip(".") if sep else why.rstrip(".")
            raise VariableError(
                f"{{{{{found.name}}}}} in the request '{self.scope.request_name}' ({where}) is "
                f"{found.raw.strip()}, which cannot be resolved: {reason}."
            ) from None
        return value

    def _where(self, found: Lookup) -> str:
        if found.source == "environment" and self.scope.environment_name:
            return f"from the environment '{self.scope.environment_name}'"
        return {
            "override": "set for this run",
            "request": "from the request's variables",
            "folder": "from a folder's variables",
            "collection": "from the collection's variables",
            "environment": "from the environment",
        }.get(found.source, "")

    def check(self) -> None:
        """UnresolvedVariable naming every unset name, the request and the environment; then a VariableError
        for         a secret value that could not be resolved."""
        if not self.unresolved:
            if self.failures:
                raise self.failures[0]
            return
        names = tuple(self.unresolved)
        listed = ", ".join(f"{{{{{n}}}}}" for n in names)
        are = "is" if len(names) == 1 else "are"
        scope = self.scope
        request = scope.request_name or "this request"
        env = f"the environment '{scope.environment_name}'" if scope.environment_name else "an environment"
        raise UnresolvedVariable(
            f"The request '{request}' uses {listed}, which {are} not set in {scope.where()}: nothing was "
            "sent. "
            f"Set {'it' if len(names) == 1 else 'them'} in {env} or in the collection's [vars].",
            names=names,
            request=request,
            environment=scope.environment_name,
        )
