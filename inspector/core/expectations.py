"""Expectations: what the team expects of a token (audience, issuer, scopes, keys, leeway).

Its own small module so that profiles can hold expectations without importing the whole explainer.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Expectations:
    """What the team expects of the token: from the profile, the --expect-* flags or the panel's fields."""

    audience: str | None = None
    issuer: str | None = None
    scopes: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = ()
    leeway_s: float = 60.0
    jwks_url: str | None = None
    key_file: str | None = None
    api_key_names: tuple[str, ...] = ()  # header/query names that carry an API key (from the profile)
