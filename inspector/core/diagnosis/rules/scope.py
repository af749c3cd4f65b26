"""What the identity may do: insufficient-scope, and authenticated-not-permitted when nothing else explains
a 403."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from inspector.core.diagnosis.facts import Facts
from inspector.core.diagnosis.findings import MISSING, Finding, has_family, make_finding
from inspector.core.diagnosis.rules import has


@dataclass(frozen=True)
class Scopes:
    """The scopes a request needs and what its token grants, from every source that names them.

    Scopes (`scope`, `scp`, `X-OAuth-Scopes`), permissions and roles are kept apart: a role is not a scope,
    and the finding says which is which. Any of them may satisfy a requirement (Auth0 puts API permissions in
    `permissions`, Entra app roles in `roles`), so detection reads all three.
    """

    required: list[str]  # from the challenge's scope and the profile
    accepted: list[str]  # GitHub's X-Accepted-OAuth-Scopes: any one of them will do
    scopes: set[str] | None  # None when neither the token nor the response names any
    permissions: set[str] | None
    roles: set[str] | None
    sources: list[str]

    @property
    def granted(self) -> set[str] | None:
        """Everything that may satisfy a requirement; None when the token and the response name nothing."""
        parts = [p for p in (self.scopes, self.permissions, self.roles) if p is not None]
        return set().union(*parts) if parts else None

    @property
    def unknown(self) -> bool:
        """Some scope is needed, and what the token grants cannot be known."""
        return bool(self.required or self.accepted) and self.granted is None


def check(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    finding = scope_finding(facts)
    return [finding] if finding is not None and (facts.refused or facts.expectations.scopes) else []


def check_permitted(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    """A 403 with healthy credentials and no named cause: roles, ACL, tenant, IP or policy. Runs last."""
    if (
        facts.refusal_status == 403  # a 403, or a 2xx whose body refuses the request as a 403 would
        and facts.credential is not None
        and not has(found, "rate-limited", "endpoint-not-found-likely")
        and facts.waf is None
        and not has_family(found, "authentication", errors_only=True)
        and not facts.auth_message
        and not facts.auth_code
        and not has(found, "insufficient-scope", "step-up-required", "dpop-required")
    ):
        return [
            make_finding(
                "authenticated-not-permitted",
                evidence={"status": facts.status, "message": facts.server_message},
                reason_suffix=quoted_suffix(facts.server_message),
            )
        ]
    return []


def quoted_suffix(message: str | None) -> str:
    if not message:
        return ""
    short = message if len(message) <= 160 else message[:160] + "…"
    return f" (the server says \u201c{short.rstrip('.')}\u201d)"


def _words(value: object) -> list[str] | None:
    """A space-separated string or a list of strings as a list; None for anything else."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if isinstance(v, (str, int))]
    return None


_SCOPE_CLAIMS = ("scope", "scp", "scopes")


def _claim_words(claims: Mapping[str, object], names: tuple[str, ...]) -> set[str] | None:
    found: set[str] | None = None
    for name in names:
        words = _words(claims.get(name))
        if words is not None:
            found = (found or set()) | set(words)
    return found


def granted_scopes(claims: Mapping[str, object]) -> set[str] | None:
    """scope/scp (string or list), permissions and roles together; None when the token names none of them."""
    return _claim_words(claims, (*_SCOPE_CLAIMS, "permissions", "roles"))


def scopes(facts: Facts) -> Scopes:
    required: list[str] = []
    sources: list[str] = []
    for ch in facts.challenges:
        if ch.param("scope"):
            required += (ch.param("scope") or "").split()
            sources.append("challenge")
    if facts.expectations.scopes:
        required += list(facts.expectations.scopes)
        sources.append("profile")
    if facts.error_shape is not None and facts.error_shape.needed_scopes:  # Slack: missing_scope, needed=...
        required += list(facts.error_shape.needed_scopes)
        sources.append("body")
    accepted_raw = facts.resp.header("X-Accepted-OAuth-Scopes")
    accepted = [s.strip() for s in (accepted_raw or "").split(",") if s.strip()]
    if accepted:
        sources.append("X-Accepted-OAuth-Scopes")
    granted: set[str] | None = None
    permissions: set[str] | None = None
    roles: set[str] | None = None
    if facts.token and facts.token.format == "jws":
        claims = facts.token.claims
        granted = _claim_words(claims, _SCOPE_CLAIMS)
        permissions = _claim_words(claims, ("permissions",))
        roles = _claim_words(claims, ("roles",))
    oauth_scopes = facts.resp.header("X-OAuth-Scopes")
    if oauth_scopes is not None:
        granted = (granted or set()) | {s.strip() for s in oauth_scopes.split(",") if s.strip()}
    return Scopes(list(dict.fromkeys(required)), accepted, granted, permissions, roles, sources)


def scope_note(facts: Facts) -> str | None:
    """The missing-evidence note when required scopes could not be compared with the granted ones."""
    return MISSING["scopes-unknown"] if scopes(facts).unknown else None


def scope_finding(facts: Facts) -> Finding | None:
    # the server says so: insufficient_scope, or its own words for it (Slack missing_scope, Google
    # ACCESS_TOKEN_SCOPE_INSUFFICIENT, "scope does not match")
    server_says = "insufficient_scope" in facts.codes or (
        facts.refused and facts.wording is not None and facts.wording.family.name == "scope"
    )
    s = scopes(facts)
    required, accepted, granted = s.required, s.accepted, s.granted
    missing: list[str] = []
    if granted is not None:
        missing = [x for x in required if x not in granted]
        if accepted and not (granted & set(accepted)):
            missing += [x for x in accepted if x not in missing]
    if not (server_says or missing):
        return None
    parts = []
    if "insufficient_scope" in facts.codes:
        parts.append(f"The server says insufficient_scope (in the {facts.codes['insufficient_scope']}).")
    elif server_says and facts.wording is not None:
        words = facts.scrub(facts.wording.said)
        parts.append(f"The server's words say a scope is missing (\u201c{words}\u201d).")
    if missing:
        if accepted and not required:
            parts.append(f"The request accepts one of: {', '.join(accepted)}; the token grants none of them.")
        else:
            parts.append(f"Missing: {', '.join(missing)}.")
    elif (required or accepted) and granted is not None:
        parts.append(
            f"Every scope known to be needed ({', '.join(required or accepted)}) is granted, so the "
            "server wants one it did not name."
        )
    elif required or accepted:
        parts.append(f"Required: {', '.join(required or accepted)}.")
    parts += _granted_sentences(s)
    # what to ask for: the missing scopes; with nothing missing but unknown grants, the known requirements
    want = missing or ([] if granted is not None else required or accepted)
    return make_finding(
        "insufficient-scope",
        evidence={
            "server_said": server_says,
            # the server's own words for it, when it did not say insufficient_scope (Slack's missing_scope)
            "said": None
            if "insufficient_scope" in facts.codes or not server_says or facts.wording is None
            else facts.scrub(facts.wording.said),
            "required": required,
            "accepted_any_of": accepted,
            "granted": sorted(s.scopes) if s.scopes is not None else None,
            "permissions": sorted(s.permissions) if s.permissions is not None else None,
            "roles": sorted(s.roles) if s.roles is not None else None,
            "missing": missing,
            "sources": s.sources,
        },
        detail=" ".join(parts),
        missing_or_required=("scope " + " ".join(want)) if want else "the scope the API documents",
        missing_suffix=f" ({', '.join(missing)})" if missing else "",
    )


def _granted_sentences(s: Scopes) -> list[str]:
    """What the token grants, scopes apart from permissions and roles (a role is not a scope)."""
    if s.granted is None:
        return ["The granted scopes cannot be read from this token."]
    out = [f"Granted scopes: {', '.join(sorted(s.scopes)) or 'none'}." if s.scopes is not None
           else "The token names no scopes."]
    if s.permissions is not None:
        out.append(f"Permissions: {', '.join(sorted(s.permissions)) or 'none'}.")
    if s.roles is not None:
        out.append(f"Roles (not scopes): {', '.join(sorted(s.roles)) or 'none'}.")
    return out
