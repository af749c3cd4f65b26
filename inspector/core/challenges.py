"""RFC 9110 §11 WWW-Authenticate / Proxy-Authenticate parser.

Grammar (RFC 9110 §11.1-11.3, §5.6):

    WWW-Authenticate = #challenge
    challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    auth-param  = token BWS "=" BWS ( token / quoted-string )
    token68     = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="

Leniency, decided on purpose because real servers send these:
- a bare scheme (`Bearer`) and token values (`Bearer realm=example`) are simply the grammar;
- empty list elements and OWS around commas are skipped (the #rule allows them): `Bearer , , realm="x",`;
- an unquoted value may hold any visible character except `,` and `"` (e.g. `realm=https://api.example.com/`),
  not just token characters;
- auth-params that follow a bare scheme after a comma (`Bearer, realm="x"`) belong to that scheme;
- a repeated parameter name keeps its first value (RFC 9110 says each name occurs once);
- inside a quoted string a backslash escapes any character, and control characters are kept.
Everything else (an unclosed quote, a missing `=` value, junk after a value, a scheme that is not a token)
raises ChallengeError naming the line and the position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from inspector.core.errors import InspectorError


class ChallengeError(InspectorError):
    """A challenge line does not follow the RFC 9110 grammar."""


@dataclass(frozen=True)
class Challenge:
    scheme: str  # as the server spelled it
    token68: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)  # names lower-cased, values unquoted

    def is_scheme(self, name: str) -> bool:
        return self.scheme.lower() == name.lower()

    def param(self, name: str) -> str | None:
        return self.params.get(name.lower())


TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
TOKEN68_RE = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_OWS = " \t"
# A lenient unquoted value: visible characters (and obs-text) other than comma, DQUOTE and whitespace.
_LOOSE_VALUE_RE = re.compile(r'[^\s,"]+')


def _skip_ows(s: str, i: int) -> int:
    while i < len(s) and s[i] in _OWS:
        i += 1
    return i


def _skip_separators(s: str, i: int) -> int:
    """Skip OWS and empty list elements (commas)."""
    while i < len(s) and (s[i] in _OWS or s[i] == ","):
        i += 1
    return i


def _looks_like_param(s: str, i: int) -> bool:
    """At i: `token BWS "="` (an auth-param), as opposed to the scheme of a new challenge."""
    m = TOKEN_RE.match(s, i)
    if not m:
        return False
    j = _skip_ows(s, m.end())
    return j < len(s) and s[j] == "="


def _error(line: str, pos: int, what: str) -> ChallengeError:
    shown = line if len(line) <= 200 else line[:200] + "…"
    return ChallengeError(f"The challenge '{shown}' cannot be read at character {pos + 1}: {what}.")


def _quoted(line: str, i: int) -> tuple[str, int]:
    """Parse a quoted-string starting at the opening quote; returns (value, index after the closing quote)."""
    out: list[str] = []
    j = i + 1
    while j < len(line):
        c = line[j]
        if c == "\\":
            if j + 1 >= len(line):
                break
            out.append(line[j + 1])
            j += 2
            continue
        if c == '"':
            return "".join(out), j + 1
        out.append(c)
        j += 1
    raise _error(line, i, "the quoted value is never closed with '\"'")


def _parse_line(line: str) -> list[Challenge]:
    challenges: list[Challenge] = []
    # (scheme, token68, params) of the challenge being read
    scheme: str | None = None
    token68: str | None = None
    params: dict[str, str] = {}

    def finish() -> None:
        if scheme is not None:
            challenges.append(Challenge(scheme, token68, dict(params)))

    i = _skip_separators(line, 0)
    n = len(line)
    while i < n:
        if scheme is not None and token68 is None and _looks_like_param(line, i):
            # another auth-param of the current challenge
            m = TOKEN_RE.match(line, i)
            assert m is not None
            name = m.group(0).lower()
            j = _skip_ows(line, m.end()) + 1  # past "="
            j = _skip_ows(line, j)
            if j < n and line[j] == '"':
                value, j = _quoted(line, j)
            else:
                vm = _LOOSE_VALUE_RE.match(line, j)
                if not vm:
                    raise _error(line, j, f"the parameter '{name}' has no value after '='")
                value, j = vm.group(0), vm.end()
            params.setdefault(name, value)
            j = _skip_ows(line, j)
            if j < n and line[j] != ",":
                raise _error(line, j, f"expected ',' after the value of '{name}'")
            i = _skip_separators(line, j)
            continue
        if scheme is None and _looks_like_param(line, i):
            raise _error(line, i, "a name=value parameter comes before any authentication scheme")
        if scheme is not None and token68 is not None and _looks_like_param(line, i):
            raise _error(line, i, "a parameter follows a token68 credential, which cannot have parameters")
        # a new challenge: auth-scheme [ 1*SP ( token68 / #auth-param ) ]
        finish()
        m = TOKEN_RE.match(line, i)
        if not m:
            raise _error(line, i, "expected an authentication scheme name (a token such as Bearer)")
        scheme, token68, params = m.group(0), None, {}
        j = m.end()
        if j < n and line[j] not in _OWS and line[j] != ",":
            raise _error(line, j, f"unexpected character {line[j]!r} after the scheme '{scheme}'")
        j = _skip_ows(line, j)
        if j < n and line[j] != ",":
            t = TOKEN68_RE.match(line, j)
            if t:
                k = _skip_ows(line, t.end())
                if k >= n or line[k] == ",":
                    token68 = t.group(0)
                    i = _skip_separators(line, k)
                    continue
            if not _looks_like_param(line, j):
                raise _error(line, j, f"expected a token68 or name=value parameters after '{scheme}'")
            i = j
            continue
        i = _skip_separators(line, j)
    finish()
    return challenges


def parse_challenges(lines: Iterable[str]) -> list[Challenge]:
    """Every challenge in every raw header line, in order. Raises ChallengeError only."""
    out: list[Challenge] = []
    for line in lines:
        if not isinstance(line, str):
            raise ChallengeError(f"A challenge header value must be text, not {type(line).__name__}.")
        out.extend(_parse_line(line))
    return out


def parse_challenges_lenient(lines: Iterable[str]) -> tuple[list[Challenge], list[str]]:
    """Parse line by line; a broken line is skipped and its error sentence returned instead of raised."""
    out: list[Challenge] = []
    errors: list[str] = []
    for line in lines:
        try:
            out.extend(parse_challenges([line]))
        except ChallengeError as exc:
            errors.append(str(exc))
    return out, errors


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_challenge(challenge: Challenge) -> str:
    """A header value that parse_challenges reads back as this challenge."""
    if not TOKEN_RE.fullmatch(challenge.scheme):
        raise ChallengeError(f"The scheme '{challenge.scheme}' is not a token and cannot be written in a challenge.")
    if challenge.token68 is not None:
        if challenge.params:
            raise ChallengeError("A challenge cannot carry both a token68 and parameters.")
        if not TOKEN68_RE.fullmatch(challenge.token68):
            raise ChallengeError(f"'{challenge.token68}' is not a valid token68 value.")
        return f"{challenge.scheme} {challenge.token68}"
    parts = []
    for name, value in challenge.params.items():
        if not TOKEN_RE.fullmatch(name):
            raise ChallengeError(f"The parameter name '{name}' is not a token and cannot be written.")
        parts.append(f"{name}={_quote(value)}")
    return f"{challenge.scheme} {', '.join(parts)}" if parts else challenge.scheme
