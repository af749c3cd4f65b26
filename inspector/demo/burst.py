"""The incident burst: an issuer that rotated its signing key while its client's tokens expired together.

The story the demo tells in a minute: the API behind /burst/api/... trusts the key it cached from the
issuer's JWKS (kid "...-a"). At one moment the issuer starts signing with a new key the API has not fetched
yet, so every fresh token is refused with "Signature verification failed"; and the tokens the client fetched
together before that moment expire together. `inspector.demo.requests.burst_requests(base_url)` gives the ~20
requests that show it (BURST_PLAN: successes, then both kinds of failure), which the window's Incidents view
sends in demo mode; the demo collection's folder "Incident: burst" holds the same by hand.

| Method | Path | What it answers |
|---|---|---|
| GET | /burst/tokens | The burst client's tokens: before (old key), rotated (new key), expired (old key, together). |
| GET | /burst/api/orders | The burst API: 200 with an old-key token; 401 for the new key or an expired token. |
| GET | /burst/api/invoices | The same API's second endpoint. |
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from inspector.demo.messages import DemoRequest, Reply, json_reply
from inspector.demo.scenarios import ALL_SCOPES, DemoKey, access_claims, bearer_challenge

__all__ = ["BURST_CLIENT_ID", "BURST_PATHS", "BURST_PLAN", "BurstState", "burst_tokens"]

BURST_CLIENT_ID = "burst-client"
BURST_PATHS = ("/burst/api/orders", "/burst/api/invoices")
TOKEN_LIFETIME_S = 300  # the burst client's tokens live five minutes
EXPIRED_AGO_S = 90  # and the ones fetched together before the rotation expired this long ago
SIGNATURE_FAILED = "Signature verification failed: no key matches the token's kid"
EXPIRED = "The access token expired"
BEFORE, ROTATED, EXPIRED_KIND = "before", "rotated", "expired"
# what the window's button sends, in this order: successes first, then the burst of refusals
BURST_PLAN: tuple[tuple[str, str], ...] = (
    *((BEFORE, BURST_PATHS[i % 2]) for i in range(6)),
    *(((ROTATED, EXPIRED_KIND)[i % 2], BURST_PATHS[(i // 2) % 2]) for i in range(14)),
)


class BurstState:
    """The burst's two keys, made on first use (an RSA key takes a moment): the API trusts only `cached`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: tuple[DemoKey, DemoKey] | None = None

    def keys(self) -> tuple[DemoKey, DemoKey]:
        """(the key the API cached, the key the issuer signs with since the rotation)."""
        with self._lock:
            if self._keys is None:
                self._keys = (DemoKey.generate(), DemoKey.generate())
            return self._keys


class _State(Protocol):
    issuer: str
    burst: BurstState

    def now(self) -> float: ...


def burst_tokens(state: _State) -> dict[str, str]:
    """Fresh tokens of the burst client: before (old key, valid), rotated (new key, valid), expired (old key,
    fetched together TOKEN_LIFETIME_S + EXPIRED_AGO_S ago)."""
    cached, rotated = state.burst.keys()
    now = state.now()
    scope = " ".join(ALL_SCOPES)

    def claims(at: float) -> dict[str, Any]:
        return access_claims(state.issuer, at, scope=scope, lifetime_s=TOKEN_LIFETIME_S, client_id=BURST_CLIENT_ID)

    fetched_before = int(now) - TOKEN_LIFETIME_S - EXPIRED_AGO_S
    return {
        BEFORE: cached.sign(claims(now)),
        ROTATED: rotated.sign(claims(now)),
        EXPIRED_KIND: cached.sign(claims(fetched_before)),
    }


def tokens(req: DemoRequest, st: Any) -> Reply:
    return json_reply(200, {"tokens": burst_tokens(st), "client_id": BURST_CLIENT_ID},
                      ("Cache-Control", "no-store"))


def _refused(description: str) -> Reply:
    return json_reply(
        401,
        {"error": "invalid_token", "error_description": description},
        ("WWW-Authenticate", bearer_challenge(error="invalid_token", error_description=description)),
    )


def api(req: DemoRequest, st: Any) -> Reply:
    """The burst API: it verifies with the key it cached, so the rotated key's tokens fail their signature."""
    import jwt

    cached, _rotated = st.burst.keys()
    scheme, _, token = (req.header("Authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return json_reply(401, {"detail": "Not authenticated"}, ("WWW-Authenticate", bearer_challenge()))
    try:
        header = jwt.get_unverified_header(token.strip())
    except jwt.PyJWTError:
        return _refused("The access token is malformed")
    if header.get("kid") != cached.kid:
        return _refused(SIGNATURE_FAILED)
    try:
        claims = jwt.decode(token.strip(), cached.public_key, algorithms=["RS256"],
                            options={"verify_exp": False, "verify_aud": False, "verify_iss": False})
    except jwt.PyJWTError:
        return _refused(SIGNATURE_FAILED)
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp <= st.now():
        return _refused(EXPIRED)
    what = req.path.rsplit("/", 1)[-1]
    return json_reply(200, {what: [{"id": f"{what[:3]}_1"}], "client_id": claims.get("client_id")})


# (pattern, methods, handler): wired into the demo server's routes by server.py
ROUTES: tuple[tuple[str, tuple[str, ...], Any], ...] = (
    (r"/burst/tokens", ("GET",), tokens),
    (r"/burst/api/(orders|invoices)", ("GET",), api),
)

