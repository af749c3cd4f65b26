"""The demo collection (resources/collections/demo): where it is, and the values its variables refer to.

The collection's requests name their credentials as {{variables}} whose values are ${env:DEMO_...} references
(a collection file never holds a secret); `demo_variables(base_url)` makes those values for a running demo
API: fresh tokens, the demo passwords and keys, and the headers that must be made at send time (a Basic
credential, an AWS signature dated ten minutes ago). `run` on a collection with `demo = true` fills them in
itself.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inspector.demo.scenarios import DEMO_PASSWORD, DEMO_USER
from inspector.demo.vendors import DEMO_VAULT_TOKEN

DEMO_ENVIRONMENT = "demo"
DEFAULT_BASE_URL = "http://127.0.0.1:8765"  # `python main.py demo-server` without --port


def demo_collection_dir() -> Path:
    """The demo collection's folder (a real folder: resources/ is installed as files, never zipped)."""
    from inspector.assets import resource

    return Path(str(resource("collections", "demo")))


def demo_variables(base_url: str) -> dict[str, str]:
    """The environment variables the demo collection's references read, for the demo API at base_url."""
    from inspector.demo.server import demo_environment

    env = demo_environment(base_url)
    env["DEMO_TOKEN_VALID"] = env.get("DEMO_TOKEN_VALID") or env.get("DEMO_ACCESS_TOKEN", "")
    env["DEMO_BASIC_CREDENTIALS"] = base64.b64encode(f"{DEMO_USER}:{DEMO_PASSWORD}".encode()).decode("ascii")
    # The server asks for charset="UTF-8"; old clients encode non-ASCII passwords as Latin-1.
    env["DEMO_BASIC_LATIN1"] = base64.b64encode(f"{DEMO_USER}:p\u00e4sswort".encode("latin-1")).decode(
        "ascii"
    )
    env["DEMO_WRONG_CLIENT_SECRET"] = "not-the-secret"
    authorization, amz_date = sigv4_headers(600)
    env["DEMO_AWS_AUTHORIZATION"] = authorization
    env["DEMO_AWS_DATE"] = amz_date
    # vendors.py: Vault's token, a token Vault does not know, a Slack-style token the RPC API does not know
    env["DEMO_VAULT_TOKEN"] = DEMO_VAULT_TOKEN
    env["DEMO_WRONG_VAULT_TOKEN"] = "hvs.not-the-demo-vault-token"
    env["DEMO_SLACK_TOKEN"] = "xoxb-0000-demo-not-a-token"
    # the incident burst's tokens (burst.py), for the folder "Incident: burst": DEMO_BURST_BEFORE, ...
    from inspector.demo.server import burst_token_set

    env.update({f"DEMO_BURST_{kind.upper()}": token for kind, token in burst_token_set(base_url).items()})
    return env


def sigv4_headers(age_s: int, now: datetime | None = None) -> tuple[str, str]:
    """An AWS Signature Version 4 Authorization value (AWS's documented example key id) and its X-Amz-Date,
    signed age_s ago."""
    signed_at = (now or datetime.now(UTC)) - timedelta(seconds=age_s)
    stamp = signed_at.strftime("%Y%m%dT%H%M%SZ")
    signature = hashlib.sha256(stamp.encode("ascii")).hexdigest()  # a stand-in: the scenario never checks it
    credential = f"AKIAIOSFODNN7EXAMPLE/{stamp[:8]}/us-east-1/execute-api/aws4_request"
    return (
        f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host;x-amz-date, Signature={signature}",
        stamp,
    )
