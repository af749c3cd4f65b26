"""One send, the way the window and the CLI both do it: the profile's credentials, the transport, the
signature check, the explanation, and the history record. Pure of Qt; runs on a worker thread in the window.

    prepared = prepare(spec, profile, resolver, token_cache)    # resolves secrets: ProfileError stops the send
    exchange = prepared.send(cancel=..., on_progress=...)        # transport.send with the profile's auth
    diagnosis = prepared.explain(exchange, overrides)            # verify the token if a key/JWKS is known, explain
    prepared.record(history, exchange, diagnosis)                # masked copy into history
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from inspector.core.diagnosis import Diagnosis, Expectations, explain
from inspector.core.errors import InspectorError, TokenError
from inspector.core.exchange import Exchange
from inspector.core.redact import Redactor
from inspector.core.request import RequestSpec


@dataclass
class Prepared:
    """A request with its credentials resolved; holds the secrets it saw so every output can be scrubbed."""

    spec: RequestSpec
    auth: Any | None = None
    profile_name: str | None = None
    expectations: Expectations = field(default_factory=Expectations)
    redactor: Redactor = field(default_factory=Redactor)

    @property
    def secret_names(self) -> tuple[str, ...]:
        """Header and query names the profile adds: masked like Authorization wherever they appear."""
        if self.auth is not None and hasattr(self.auth, "added_names"):
            return tuple(self.auth.added_names())
        return ()

    def _learn_secrets(self) -> None:
        if self.auth is not None and hasattr(self.auth, "secret_values"):
            for secret in self.auth.secret_values():
                self.redactor.add(secret)

    def send(self, **kwargs: Any) -> Exchange:
        """transport.send with this request's auth; a token fetched during the send is learnt as a secret."""
        from inspector.core.transport import send

        exchange = send(self.spec, auth=self.auth, **kwargs)
        self._learn_secrets()
        if self.profile_name:
            exchange = replace(exchange, profile_name=self.profile_name)
        return exchange

    def explain(self, exchange: Exchange, overrides: Expectations | None = None,
                now: datetime | None = None) -> Diagnosis:
        """Check the token's signature when a key or JWKS is known (network: call off the UI thread), explain."""
        expectations = with_discovered_jwks(merge_expectations(self.expectations, overrides), self.auth)
        token = verified_token(exchange, expectations)
        return explain(exchange, expectations, now=now or exchange.received_at, token=token)

    def record(self, history: Any, exchange: Exchange, diagnosis: Diagnosis | None) -> int | None:
        """A masked copy into history (None when there is no history)."""
        if history is None:
            return None
        try:
            result: int = history.add(exchange, diagnosis, self.redactor, extra_secret_names=self.secret_names)
        except InspectorError as exc:  # a damaged or full history must not cost the user the explanation
            exchange.extra["history_problem"] = f"This exchange was not saved in the history: {exc}"
            return None
        return result


def prepare(
    spec: RequestSpec,
    profile: Any | None = None,
    resolver: Any | None = None,
    token_cache: Any | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Prepared:
    """Resolve the profile's secrets into an auth object; ProfileError (MissingSecret) stops the send here."""
    spec.validate()
    if profile is None:
        return Prepared(spec)
    from inspector.core.profiles.auth import auth_for
    from inspector.core.profiles.secrets import Resolver

    resolver = resolver if resolver is not None else Resolver(None)  # only env references can resolve
    kwargs: dict[str, Any] = {"cache": token_cache}
    if clock is not None:
        kwargs["clock"] = clock
    auth = auth_for(profile, resolver, **kwargs)
    prepared = Prepared(spec, auth, profile.name, profile.expectations())
    prepared._learn_secrets()
    return prepared


def merge_expectations(base: Expectations, overrides: Expectations | None) -> Expectations:
    """The profile's expectations with every field the overrides set (CLI flags, the panel's fields)."""
    if overrides is None:
        return base
    defaults = Expectations()
    changes = {
        name: getattr(overrides, name)
        for name in Expectations.__dataclass_fields__
        if getattr(overrides, name) != getattr(defaults, name)
    }
    return replace(base, **changes)


def with_discovered_jwks(expectations: Expectations, auth: Any) -> Expectations:
    """An OAuth profile whose issuer published its JWKS (discovery) gets the token's signature checked there,
    unless a key or JWKS is set already."""
    jwks_uri = getattr(auth, "jwks_uri", None)
    if expectations.jwks_url or expectations.key_file or not isinstance(jwks_uri, str) or not jwks_uri:
        return expectations
    return replace(expectations, jwks_url=jwks_uri)


def verified_token(exchange: Exchange, expectations: Expectations) -> Any | None:
    """The sent token with its signature checked against the key file or JWKS, or None when neither is set."""
    if not (expectations.jwks_url or expectations.key_file):
        return None
    from inspector.core.tokens import find_credential, inspect_token, load_key_file, verify_token

    hop = exchange.final_hop
    credential = find_credential(hop, expectations.api_key_names) if hop is not None else None
    if credential is None:
        return None
    info = inspect_token(credential.value)
    if info.format != "jws":
        return info
    try:
        key = load_key_file(expectations.key_file) if expectations.key_file else None
    except TokenError as exc:
        return replace(info, verify_outcome="unavailable", verify_error=str(exc))
    return verify_token(info, key_pem_or_secret=key, jwks_url=expectations.jwks_url,
                        algorithms=expectations.algorithms)
