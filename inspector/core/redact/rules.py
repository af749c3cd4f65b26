"""Which names carry a secret: header names, query and form parameters, JSON keys, auth-params.

The one list of secret names. Masking (mask.py), finding secret values (values.py) and every surface that
asks "is this secret?" (the window's safe mode, the transport's origin rule) read these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "x-amz-security-token",
        "x-csrf-token",
        "x-xsrf-token",
        "private-token",
        "x-goog-api-key",
        "ocp-apim-subscription-key",
        "dpop",
    }
)
SECRET_PARAMS = frozenset(
    {
        "api_key",
        "apikey",
        "api-key",
        "key",
        "access_token",
        "id_token",
        "refresh_token",
        "token",
        "auth",
        "sig",
        "signature",
        "x-amz-signature",
        "x-amz-security-token",
        "x-amz-credential",
        "client_secret",
        "password",
        "passwd",
        "secret",
        "code",
        "code_verifier",  # PKCE: whoever holds it can redeem the authorization code
        "assertion",
        "client_assertion",
        "subject_token",
        # A session id in a URL is the session itself (session_id=, sid=, JSESSIONID=, PHPSESSID=).
        # OAuth's `state` is deliberately not here: a CSRF nonce that grants nothing, and worth reading when
        # a sign-in fails on a state mismatch.
        "session",
        "session_id",
        "sessionid",
        "sid",
    }
)
# JSON / form keys inside bodies (a token endpoint's answer, a login form)
# "code" and "key" are error codes and map keys far more often than secrets inside a JSON body; "sid" is an
# ordinary claim in OIDC tokens and logout events that the explanation shows.
SECRET_KEYS = (SECRET_PARAMS - {"code", "key", "auth", "sid"}) | frozenset(
    {"pass", "private_key", "jwt", "bearer"}
)
# Headers whose value is a URL: a redirect can carry a token in its query or fragment (OAuth implicit flow).
URL_HEADERS = frozenset({"location", "content-location"})
# Names nobody listed that still say "credential": X-Custom-Key, X-Service-Token, accessToken, page_token, ...
# Matched on the parts of a header or query name (split on anything not a letter or digit).
_SECRET_NAME_ENDINGS = ("token", "secret", "password", "passwd", "apikey", "sessionid", "sessid")
_SECRET_NAME_PARTS = frozenset({"key", "pwd", "signature", "credential", "credentials", "jwt"})
# Endings matched on the name with its separators removed: session_id, X-Session-Id, JSESSIONID, PHPSESSID.
_SECRET_JOINED_ENDINGS = ("sessionid", "sessid")
_NAME_SPLIT_RE = re.compile(r"[^a-z0-9]+")
# auth-params of a scheme like Digest or an HTTP Signature whose values prove knowledge of a secret
SECRET_AUTH_PARAMS = frozenset({"response", "signature", "sig", "oauth_signature", "token", "cnonce"})
# Values found by name are scrubbed everywhere else by value; a short cookie ("theme=dark", "consent=true")
# or a JSON "code" (almost always an error code such as "invalid_token") would then blank out ordinary words.
VALUE_SCRUB_MIN = 8
AMBIGUOUS_JSON_KEYS = frozenset({"code", "key"})


def looks_secret_name(name: str) -> bool:
    """A header or query name that says it carries a credential, though no list names it (X-Custom-Key)."""
    low = name.strip().lower()
    for part in _NAME_SPLIT_RE.split(low):
        if part in _SECRET_NAME_PARTS or part.endswith(_SECRET_NAME_ENDINGS):
            return True
    return _NAME_SPLIT_RE.sub("", low).endswith(_SECRET_JOINED_ENDINGS)


def is_secret_header(name: str, extra: Iterable[str] = ()) -> bool:
    """A header whose value is a credential (the profile's own names in `extra`)."""
    low = name.strip().lower()
    return low in SECRET_HEADERS or low in {e.lower() for e in extra} or looks_secret_name(low)


def is_secret_param(name: str, extra: Iterable[str] = ()) -> bool:
    """A query or form parameter whose value is a credential (the profile's own names in `extra`)."""
    low = name.strip().lower()
    return low in SECRET_PARAMS or low in {e.lower() for e in extra} or looks_secret_name(low)


def is_secret_key(name: str, extra_low: Iterable[str] = ()) -> bool:
    """A JSON key inside a body whose string value is a secret (`extra_low`: lower-case names to add)."""
    low = name.lower()
    return low in SECRET_KEYS or low in extra_low
