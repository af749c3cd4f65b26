"""OIDC discovery: an OAuth profile that names only its `issuer` learns the endpoints and `jwks_uri` from it.

The order is `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery 1.0), then RFC 8414's
`{origin}/.well-known/oauth-authorization-server{issuer path}`. Each fetch is a hop with role "discovery";
the result is cached for the run (in the TokenCache), so later sends do not ask again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from inspector.core.exchange import Hop
from inspector.core.profiles.flows import SignInSteps
from inspector.core.redact import mask_url

MAX_DOCUMENT_BYTES = 512 * 1024


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of an authorization server's metadata the sign-in flows use."""

    issuer: str
    source: str  # the URL the document came from
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    device_authorization_endpoint: str | None = None
    jwks_uri: str | None = None

    def endpoint(self, field: str) -> str | None:
        """A profile field's endpoint: authorization_url, token_url or device_authorization_url."""
        return {
            "authorization_url": self.authorization_endpoint,
            "token_url": self.token_endpoint,
            "device_authorization_url": self.device_authorization_endpoint,
        }.get(field)


def discovery_urls(issuer: str) -> tuple[str, str]:
    """Where the metadata of an issuer is looked for, in order."""
    parts = urlsplit(issuer.strip())
    path = parts.path.rstrip("/")
    oidc = f"{issuer.strip().rstrip('/')}/.well-known/openid-configuration"
    rfc8414 = f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{path}"
    return oidc, rfc8414


def _same_issuer(a: str, b: str) -> bool:
    return a.strip().rstrip("/") == b.strip().rstrip("/")


def parse_metadata(hop: Hop, issuer: str) -> ProviderMetadata | str:
    """The metadata in a discovery hop's answer, or a sentence saying why it is not usable."""
    url = mask_url(hop.url)
    response = hop.response
    if response is None:
        return f"The discovery document at {url} did not arrive."
    if response.body_bytes > MAX_DOCUMENT_BYTES:
        return f"The answer from {url} is too large to be an authorization server's metadata."
    try:
        doc: Any = json.loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return f"The answer from {url} ({response.status}) is not JSON, so it is not discovery metadata."
    if not isinstance(doc, dict):
        return f"The answer from {url} is not a JSON object, so it is not discovery metadata."
    named = doc.get("issuer")
    if not isinstance(named, str) or not _same_issuer(named, issuer):
        # OIDC Discovery §4.3 and RFC 8414 §3.3: metadata for another issuer must not be used
        return (f"The discovery document at {url} names the issuer '{named}', not '{issuer}' as the profile "
                "says: check the issuer (a tenant, a path such as /v2.0, a trailing slash).")

    def text(key: str) -> str | None:
        value = doc.get(key)
        return value if isinstance(value, str) and value else None

    return ProviderMetadata(
        issuer=named,
        source=hop.url,
        authorization_endpoint=text("authorization_endpoint"),
        token_endpoint=text("token_endpoint"),
        device_authorization_endpoint=text("device_authorization_endpoint"),
        jwks_uri=text("jwks_uri"),
    )


def none_published(issuer: str, tried: list[str]) -> str:
    """Why an issuer has no metadata, naming every URL tried and what it answered."""
    return (f"The issuer '{issuer}' publishes no discovery metadata ({'; '.join(tried)}): check the issuer, "
            "or set the endpoints (authorization_url, token_url, device_authorization_url) in the profile.")


def discover(issuer: str, steps: SignInSteps) -> ProviderMetadata | str:
    """Fetch the issuer's metadata as discovery hops; the metadata, or a sentence for the failed last hop."""
    tried: list[str] = []
    for url in discovery_urls(issuer):
        hop = steps.send(requests.Request("GET", url, headers={"Accept": "application/json"}), "discovery")
        status = hop.status or 0
        if 200 <= status < 300:
            return parse_metadata(hop, issuer)
        tried.append(f"{mask_url(url)} answered {status}")
    return none_published(issuer, tried)
