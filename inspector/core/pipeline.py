"""One send, the way the window and the CLI both do it: the profile's credentials, the transport, the
signature check, the explanation, and the history record. Pure of Qt; runs on a worker thread in the window.

    result = run(spec, profile=profile, resolver=resolver, token_cache=cache, overrides=overrides,
                 history=history, cancel=cancel, on_progress=on_progress)     # -> SendResult

run() is prepare() followed by Prepared.run(); the steps can also be taken one by one:

    prepared = prepare(spec, profile, resolver, token_cache)  # resolves secrets: ProfileError stops it here
    exchange = prepared.send(cancel=..., on_progress=...)      # transport.send with the profile's auth
    checked = prepared.check(exchange, overrides)              # the token's signature: discovery, JWKS hops
    diagnosis = prepared.explain(exchange, overrides)          # check, then explain
    prepared.record(history, exchange, diagnosis)              # masked copy into history (HistoryError)

The signature check is part of the send: the requests it makes (the issuer's discovery when the profile's
[expect] names only its issuer, the JWKS) are hops of the exchange with roles "discovery" and "jwks", placed
before the user's request hops so that the last hop stays the final answer everywhere it is read.

A SendResult is the one value a send produces: the exchange, its diagnosis, the secrets needed to mask both,
and the problems the user should be told about. History, the panes, reports, exports and the CLI read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from threading import Event
from typing import TYPE_CHECKING, Any, Literal

from inspector.core.diagnosis import Diagnosis, explain
from inspector.core.errors import InspectorError, TokenError
from inspector.core.exchange import Exchange, Hop
from inspector.core.expectations import Expectations
from inspector.core.redact import NO_SECRETS, Redactor, Secrets
from inspector.core.request import RequestSpec, refuse_masked_credentials

if TYPE_CHECKING:
    from inspector.core.history import HistoryStore
    from inspector.core.profiles.base import ProfileAuth, TokenCache
    from inspector.core.profiles.flows import SignInHooks
    from inspector.core.profiles.model import Profile
    from inspector.core.profiles.secrets import Resolver
    from inspector.core.tokens import TokenInfo

ProblemKind = Literal["token", "explain", "history"]


@dataclass(frozen=True)
class SendProblem:
    """Something about a send the user should know besides the response: a sentence, secrets masked."""

    # token: no usable token was fetched; explain: the explanation failed; history: the record was not saved
    kind: ProblemKind
    message: str


@dataclass(frozen=True)
class SendResult:
    """Everything one send produced, as one value: what went over the wire, what it means, how to mask it."""

    exchange: Exchange
    diagnosis: Diagnosis | None
    secrets: Secrets = NO_SECRETS
    problems: tuple[SendProblem, ...] = ()
    history_id: int | None = None  # the history entry it was saved as (None: not saved)
    expectations: Expectations = field(default_factory=Expectations)  # the profile's, before any overrides

    def problem(self, kind: ProblemKind) -> SendProblem | None:
        return next((p for p in self.problems if p.kind == kind), None)

    def shown_secrets(self) -> Secrets:
        """The secrets plus every credential in the exchange's URLs and headers (no body is parsed): what a
        pane must scrub from a response that echoes them back."""
        from inspector.core.redact import sent_secret_values

        return self.secrets.with_values(sent_secret_values(self.exchange, self.secrets.names))

    def explained_again(self, overrides: Expectations | None, now: datetime | None = None) -> SendResult:
        """The same exchange explained with other expectations (network when they name a JWKS: off the UI
        thread); a failure raises, the caller keeps the old explanation."""
        expectations = merge_expectations(self.expectations, overrides)
        token = verified_token(self.exchange, expectations)
        diagnosis = explain(self.exchange, expectations, now=now or self.exchange.received_at, token=token)
        return replace(self, diagnosis=diagnosis,
                       problems=tuple(p for p in self.problems if p.kind != "explain"))


@dataclass
class Prepared:
    """A request with its credentials resolved; holds the secrets it saw so every output can be scrubbed."""

    spec: RequestSpec
    auth: ProfileAuth | None = None
    profile_name: str | None = None
    expectations: Expectations = field(default_factory=Expectations)
    redactor: Redactor = field(default_factory=Redactor)
    token_cache: TokenCache | None = None  # the run's: the issuer's discovery metadata is kept there

    @property
    def secret_names(self) -> tuple[str, ...]:
        """Header and query names the profile adds: masked like Authorization wherever they appear."""
        if self.auth is not None:
            return tuple(self.auth.added_names())
        return ()

    def _learn_secrets(self) -> None:
        if self.auth is not None:
            for secret in self.auth.secret_values():
                self.redactor.add(secret)

    def secrets(self) -> Secrets:
        """What this request's outputs must mask: the values learnt so far and the profile's secret names."""
        return Secrets(self.redactor.values(), self.secret_names)

    def send(self, **kwargs: Any) -> Exchange:
        """transport.send with this request's auth; a token fetched during the send is learnt as a secret."""
        from inspector.core.transport import send

        exchange = send(self.spec, auth=self.auth, **kwargs)
        self._learn_secrets()
        if self.profile_name:
            exchange = replace(exchange, profile_name=self.profile_name)
        return exchange

    def check(self, exchange: Exchange, overrides: Expectations | None = None,
              cancel: Event | None = None) -> SignatureCheck:
        """Check the sent token's signature when a key or JWKS is known, or the profile's [expect] names an
        issuer that publishes one (network: off the UI thread); the exchange gains the check's hops."""
        expectations = with_discovered_jwks(merge_expectations(self.expectations, overrides), self.auth)
        tls = self.auth.client_tls() if self.auth is not None and hasattr(self.auth, "client_tls") else None
        return check_signature(exchange, expectations, issuer=self.expectations.issuer, cache=self.token_cache,
                               cancel=cancel, ca_bundle=tls.ca_bundle if tls is not None else None)

    def explain(self, exchange: Exchange, overrides: Expectations | None = None,
                now: datetime | None = None) -> Diagnosis:
        """Check the token's signature (see check), then explain."""
        checked = self.check(exchange, overrides)
        return explain(checked.exchange, checked.expectations, now=now or exchange.received_at,
                       token=checked.token)

    def record(self, history: HistoryStore | None, exchange: Exchange,
               diagnosis: Diagnosis | None) -> int | None:
        """A masked copy into history (None without a history); HistoryError when it cannot be saved."""
        if history is None:
            return None
        return history.add(exchange, diagnosis, self.redactor, extra_secret_names=self.secret_names)

    def run(
        self,
        *,
        overrides: Expectations | None = None,
        history: HistoryStore | None = None,
        cancel: Event | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
        **send_kwargs: Any,
    ) -> SendResult:
        """Send, explain (unless cancelled) and record: the one result. Bad input raises InspectorError before
        anything is sent; a failing explanation or history write becomes a problem, never a lost response."""
        if cancel is not None:
            send_kwargs["cancel"] = cancel
        if on_progress is not None:
            send_kwargs["on_progress"] = on_progress
        exchange = self.send(**send_kwargs)
        problems: list[SendProblem] = []
        if exchange.token_problem:
            problems.append(SendProblem("token", exchange.token_problem))
        diagnosis = None
        expectations = self.expectations
        if cancel is None or not cancel.is_set():
            try:
                checked = self.check(exchange, overrides, cancel)
                exchange, token = checked.exchange, checked.token
                expectations = replace(expectations, jwks_url=expectations.jwks_url or checked.discovered_jwks)
                diagnosis = explain(exchange, checked.expectations, now=exchange.received_at, token=token)
            except Exception as exc:
                problems.append(SendProblem("explain",
                                            f"The explanation failed: {type(exc).__name__}: {exc}"))
        history_id = None
        if cancel is None or not cancel.is_set():
            try:
                history_id = self.record(history, exchange, diagnosis)
            except InspectorError as exc:  # a damaged or full history must not cost the user the explanation
                problems.append(SendProblem("history", f"This exchange was not saved in the history: {exc}"))
        secrets = self.secrets()
        scrub = secrets.redactor().scrub
        return SendResult(exchange, diagnosis, secrets,
                          tuple(replace(p, message=scrub(p.message)) for p in problems), history_id,
                          with_discovered_jwks(expectations, self.auth))


def prepare(
    spec: RequestSpec,
    profile: Profile | None = None,
    resolver: Resolver | None = None,
    token_cache: TokenCache | None = None,
    clock: Callable[[], datetime] | None = None,
    hooks: SignInHooks | None = None,
) -> Prepared:
    """Resolve the profile's secrets into an auth object; ProfileError (MissingSecret) stops the send here,
    and MaskedCredentialError when a credential is still the mask read back from history or a HAR file.
    hooks: how this send's sign-in reaches a person (the window's waiting state), else the cache's."""
    spec.validate()
    if profile is None:
        refuse_masked_credentials(spec)  # a value masked in history or a HAR file is a missing secret
        return Prepared(spec, token_cache=token_cache)
    from inspector.core.profiles.auth import auth_for
    from inspector.core.profiles.secrets import Resolver

    resolver = resolver if resolver is not None else Resolver(None)  # only env references can resolve
    kwargs: dict[str, Any] = {"cache": token_cache, "hooks": hooks}
    if clock is not None:
        kwargs["clock"] = clock
    auth = auth_for(profile, resolver, **kwargs)
    prepared = Prepared(spec, auth, profile.name, profile.expectations(), token_cache=token_cache)
    refuse_masked_credentials(spec, prepared.secret_names)  # what the profile sets replaces a masked value
    prepared._learn_secrets()
    return prepared


def run(
    spec: RequestSpec,
    *,
    profile: Profile | None = None,
    resolver: Resolver | None = None,
    token_cache: TokenCache | None = None,
    clock: Callable[[], datetime] | None = None,
    overrides: Expectations | None = None,
    history: HistoryStore | None = None,
    cancel: Event | None = None,
    on_progress: Callable[[int, int | None], None] | None = None,
    hooks: SignInHooks | None = None,
    **send_kwargs: Any,
) -> SendResult:
    """One send from the spec to its SendResult (see Prepared.run); InspectorError when it cannot be sent."""
    prepared = prepare(spec, profile, resolver, token_cache, clock, hooks)
    return prepared.run(overrides=overrides, history=history, cancel=cancel, on_progress=on_progress,
                        **send_kwargs)


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


@dataclass(frozen=True)
class SignatureCheck:
    """What checking the sent token's signature gave: the exchange with the requests the check made
    (discovery, JWKS) as hops, the expectations it used (with the JWKS it found), and the checked token
    (None: no key, no JWKS, or no token sent)."""

    exchange: Exchange
    expectations: Expectations
    token: TokenInfo | None
    discovered_jwks: str | None = None  # the jwks_uri the [expect] issuer's discovery published


def check_signature(
    exchange: Exchange,
    expectations: Expectations,
    *,
    issuer: str | None = None,
    cache: TokenCache | None = None,
    cancel: Event | None = None,
    timeout_s: float = 10.0,
    ca_bundle: str | None = None,
) -> SignatureCheck:
    """The sent token checked against the key file or JWKS of the expectations; with neither, against the
    JWKS that `issuer` (a profile's [expect] issuer) publishes in its discovery metadata (cached in `cache`
    for the run). The requests made are hops of the returned exchange, before the user's request hops; they
    trust ca_bundle (the profile's [tls] CA) besides the system's CAs."""
    if not exchange.request_hops:  # nothing was sent with the token (a sign-in step stopped the send)
        return SignatureCheck(exchange, expectations, verified_token(exchange, expectations))
    hops: list[Hop] = []
    discovered: str | None = None
    if (issuer and not (expectations.jwks_url or expectations.key_file)
            and issuer.strip().lower().startswith(("http://", "https://"))):
        info = sent_token(exchange, expectations)
        if info is not None and info.format == "jws":
            discovered, found = issuer_jwks_uri(issuer, cache, timeout_s, cancel, ca_bundle)
            hops += found
            if discovered:
                expectations = replace(expectations, jwks_url=discovered)
    token: TokenInfo | None
    if expectations.jwks_url and not expectations.key_file:
        token, fetched = _checked_with_jwks(exchange, expectations, timeout_s, cancel, ca_bundle)
        hops += fetched
    else:
        token = verified_token(exchange, expectations)
    if hops:
        at = next(i for i, h in enumerate(exchange.hops) if h.role == "request")
        exchange = replace(exchange, hops=(*exchange.hops[:at], *hops, *exchange.hops[at:]))
    return SignatureCheck(exchange, expectations, token, discovered)


def issuer_jwks_uri(issuer: str, cache: TokenCache | None, timeout_s: float = 10.0,
                    cancel: Event | None = None, ca_bundle: str | None = None) -> tuple[str | None, tuple[Hop, ...]]:
    """The jwks_uri an issuer publishes (its discovery metadata, kept in the run's cache) and the discovery
    hops it took (none when cached); None when it publishes none."""
    from inspector.core.jwks import discover_issuer
    from inspector.core.profiles.discovery import ProviderMetadata

    metadata = cache.discovered(issuer) if cache is not None else None
    hops: tuple[Hop, ...] = ()
    if not isinstance(metadata, ProviderMetadata):
        found, hops = discover_issuer(issuer, timeout_s=timeout_s, cancel=cancel, ca_bundle=ca_bundle)
        if not isinstance(found, ProviderMetadata):
            return None, hops  # no metadata: the signature stays unchecked, the hops show why
        metadata = found
        if cache is not None:
            cache.put_discovered(issuer, metadata)
    return metadata.jwks_uri, hops


def _checked_with_jwks(exchange: Exchange, expectations: Expectations, timeout_s: float,
                       cancel: Event | None, ca_bundle: str | None) -> tuple[TokenInfo | None, tuple[Hop, ...]]:
    """The sent token checked against the JWKS at expectations.jwks_url, fetched as hops with role jwks."""
    from inspector.core.jwks import fetch_key_set
    from inspector.core.tokens import verify_token

    info = sent_token(exchange, expectations)
    if info is None or info.format != "jws":
        return info, ()
    url = expectations.jwks_url
    assert url is not None
    fetched = fetch_key_set(url, timeout_s=timeout_s, cancel=cancel, ca_bundle=ca_bundle)
    if fetched.document is None:
        return replace(info, verified=False, verify_outcome="unavailable", verify_error=fetched.problem), \
            fetched.hops
    return verify_token(info, jwks_url=url, key_set=fetched.document, algorithms=expectations.algorithms,
                        cancel=cancel), fetched.hops


def sent_token(exchange: Exchange, expectations: Expectations) -> TokenInfo | None:
    """The credential the final hop carried, read as a token (None when it carried none)."""
    from inspector.core.tokens import find_credential, inspect_token

    hop = exchange.final_hop
    credential = find_credential(hop, expectations.api_key_names) if hop is not None else None
    return inspect_token(credential.value) if credential is not None else None


def verified_token(exchange: Exchange, expectations: Expectations) -> TokenInfo | None:
    """The sent token with its signature checked against the key file or JWKS, or None when neither is set
    (the JWKS is fetched without keeping its hops: see check_signature for that)."""
    if not (expectations.jwks_url or expectations.key_file):
        return None
    from inspector.core.tokens import load_key_file, verify_token

    info = sent_token(exchange, expectations)
    if info is None:
        return None
    if info.format != "jws":
        return info
    try:
        key = load_key_file(expectations.key_file) if expectations.key_file else None
    except TokenError as exc:
        return replace(info, verify_outcome="unavailable", verify_error=str(exc))
    return verify_token(info, key_pem_or_secret=key, jwks_url=expectations.jwks_url,
                        algorithms=expectations.algorithms)
