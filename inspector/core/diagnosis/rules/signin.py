"""Signing in: redirected-to-login, session-expired, cookie-not-sent, csrf-failed, login-failed,
oauth-flow-failed, signing-key-unknown, and the TLS findings (tls-client-certificate-required,
tls-client-certificate-rejected, tls-untrusted-certificate, tls-hostname-mismatch, tls-certificate-expired).

Three entry points: `check` for the user's request (a rule like the others), `explain_step` when the send
stopped at a sign-in step (a login, an authorization, discovery, or the token request of a browser or device
flow), and `transport_findings` when nothing came back (a TLS handshake described from the server's actual
certificate, a sign-in nobody finished). `verdict` overrides the status-based verdict where the evidence says
otherwise: a 200 that is a login page is not "ok".
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from inspector.core.diagnosis.facts import Facts, host_of, iso, status_text
from inspector.core.diagnosis.findings import (
    Finding,
    Verdict,
    finding_summary,
    leading_finding,
    make_finding,
    sort_findings,
)
from inspector.core.diagnosis.model import Diagnosis
from inspector.core.diagnosis.rules import has
from inspector.core.exchange import Exchange, Hop, TlsReport
from inspector.core.redact import mask_url

# A URL that is a sign-in page: a login path, or an identity provider's authorization endpoint
_LOGIN_PATH_RE = re.compile(
    r"(^|/)(log-?in|sign-?in|sign_in|logon|sso|saml2?|cas|auth/realms/[^/]+/protocol|session/new|"
    r"accounts/login|users/sign_in|authorize|oauth2?/auth|oauth2?/authorize|adfs/ls|login\.(php|aspx|jsp))"
    r"(/|$|\.)",
    re.IGNORECASE,
)
_PASSWORD_INPUT_RE = re.compile(r"<input\b[^>]{0,400}?\btype\s*=\s*[\"']?password\b", re.IGNORECASE)
_LOGIN_FORM_WORDS_RE = re.compile(r"\b(sign in|log in|login|anmelden|connexion)\b", re.IGNORECASE)
_NOT_SESSION_COOKIE_RE = re.compile(r"csrf|xsrf|consent|theme|lang|locale|_ga|_gid", re.IGNORECASE)
_NGINX_NO_CERT_RE = re.compile(r"No required SSL certificate was sent|SSL certificate error", re.IGNORECASE)
_LISTED_KIDS_RE = re.compile(r"\(it lists ([^)]*)\)")
PAGE_BYTES = 64 * 1024
# alerts a server sends when it does not accept the client certificate it was given
_REFUSING_ALERTS = ("unknown CA", "bad certificate", "certificate expired", "certificate revoked",
                    "certificate unknown", "unsupported certificate", "access denied", "handshake failure",
                    "decrypt error")

# (pattern, framework, cookie, header): the CSRF refusals of common frameworks, and where each wants its token
_CSRF = (
    (re.compile(r"CSRF Failed", re.IGNORECASE), "Django REST framework", "csrftoken", "X-CSRFToken"),
    (re.compile(r"CSRF (verification failed|cookie not set|token (missing|incorrect))", re.IGNORECASE),
     "Django", "csrftoken", "X-CSRFToken"),
    (re.compile(r"CSRF token mismatch|page expired", re.IGNORECASE), "Laravel", "XSRF-TOKEN", "X-XSRF-TOKEN"),
    (re.compile(r"InvalidAuthenticityToken|verify CSRF token authenticity", re.IGNORECASE), "Rails", "",
     "X-CSRF-Token"),
    (re.compile(r"Invalid CSRF token|verify the provided CSRF token|(Missing|Invalid)CsrfTokenException",
                re.IGNORECASE), "Spring Security", "XSRF-TOKEN", "X-XSRF-TOKEN"),
    (re.compile(r"\b[cx]srf\b.{0,40}\b(token|mismatch|failed|missing|invalid)", re.IGNORECASE | re.DOTALL),
     "the server", "", ""),
)


# --------------------------------------------------------------------------------------- the user's request


def check(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    """The sign-in findings about the user's request."""
    out = redirected_to_login(facts)
    csrf = csrf_failed(facts)
    if not csrf:  # a refusal naming CSRF says the session is fine: only its anti-forgery proof is missing
        out += session_expired(facts, out)
    out += cookie_not_sent(facts, out)
    out += csrf
    out += signing_key_unknown(facts)
    out += nginx_client_certificate(facts)
    return out


def verdict(facts: Facts, findings: Sequence[Finding]) -> Verdict | None:
    """The verdict the sign-in evidence gives, where the status alone would mislead; None: no opinion."""
    if has(findings, "tls-client-certificate-required"):
        return "transport-error"  # the TLS layer refused: nginx only says so in its 400 page
    if facts.status < 400 and has(findings, "redirected-to-login", "session-expired"):
        return "authentication"  # a login page that answered 200 is not the API's answer
    return None


def _request_hops(exchange: Exchange) -> tuple[Hop, ...]:
    return exchange.request_hops


def _body_text(hop: Hop, limit: int = PAGE_BYTES) -> str:
    if hop.response is None:
        return ""
    return hop.response.body[:limit].decode("utf-8", "replace")


def login_page_reason(url: str, hop: Hop | None) -> str | None:
    """Why a URL (and the page it answered) is a sign-in page, in words; None when it is not one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    query = {k.lower() for k, _v in parse_qsl(parts.query, keep_blank_values=True)}
    if {"response_type", "client_id"} <= query or "samlrequest" in query:
        return "an identity provider's authorization endpoint"
    if _LOGIN_PATH_RE.search(parts.path or "/"):
        return "a sign-in page (its path says so)"
    if hop is not None and hop.response is not None:
        ctype = (hop.response.content_type or "").lower()
        text = _body_text(hop)
        if ("html" in ctype or text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))) and \
                _PASSWORD_INPUT_RE.search(text):
            return "a page with a login form (a password field)"
    return None


def redirected_to_login(facts: Facts) -> list[Finding]:
    hops = _request_hops(facts.exchange)
    if not hops or facts.hop.role != "request":
        return []
    first, final = hops[0], hops[-1]
    if login_page_reason(first.url, None) is not None:
        return []  # the person asked for the login page itself
    target: str | None = None
    why: str | None = None
    if len(hops) >= 2 and 200 <= facts.status < 300:
        target, why = final.url, login_page_reason(final.url, final)
    elif facts.resp.is_redirect:  # redirects not followed: where it wanted to go
        from urllib.parse import urljoin

        target = urljoin(final.url, (facts.resp.header("Location") or "").strip())
        why = login_page_reason(target, None)
    if target is None or why is None:
        return []
    names = facts.expectations.api_key_names
    return [make_finding(
        "redirected-to-login",
        evidence={"from_url": mask_url(first.url, names), "login_url": mask_url(target, names), "why": why,
                  "status": facts.status, "redirects": max(len(hops) - 1, 1)},
        status=status_text(facts.resp),
    )]


def _session_cookies(names: Sequence[str]) -> list[str]:
    return [n for n in names if not _NOT_SESSION_COOKIE_RE.search(n)]


def session_expired(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    """The profile's session cookie went out, and the server answered as if it had not (spec: 401, a login
    redirect; a fresh Set-Cookie of the same name counts only together with one of those)."""
    hops = _request_hops(facts.exchange)
    if not hops or facts.hop.role != "request":
        return []
    sent = _session_cookies(hops[0].cookies_sent)
    if not sent:
        return []
    how: str | None = None
    if has(found, "redirected-to-login"):
        how = "it redirected the request to the sign-in page"
    elif facts.status == 401:
        how = f"it answered {status_text(facts.resp)}"
    elif facts.status == 403 and facts.auth_message:
        how = f"it answered {status_text(facts.resp)}, saying \u201c{facts.server_message}\u201d"
    if how is None:
        return []
    again = sorted({c.name for h in hops for c in h.cookies_set if c.name in sent})
    return [make_finding(
        "session-expired",
        evidence={"cookies": sent, "status": facts.status, "set_again": again,
                  "login_redirect": has(found, "redirected-to-login")},
        names=", ".join(sent), how=how,
        again=(f" It also set {', '.join(again)} again, as a server does for a new, signed-out session."
               if again else ""),
    )]


_FIXES = {
    "secure": "use https:// (a Secure cookie goes only over https, or to localhost)",
    "domain": "send the request to a host the cookie is for (or give the cookie profile that domain)",
    "path": "the request's path is outside the cookie's Path: widen the cookie profile's path (e.g. /)",
    "expired": "sign in again to get a fresh cookie (a session profile does it on the next send)",
}


def cookie_not_sent(facts: Facts, found: Sequence[Finding]) -> list[Finding]:
    hops = _request_hops(facts.exchange)
    if not hops or facts.hop.role != "request":
        return []
    refused = facts.status in (401, 403, 419) or has(found, "redirected-to-login")
    held = {(c.name, c.reason): c for h in hops for c in h.cookies_held}
    if not refused or not held:
        return []
    cookies = list(held.values())
    fixes = list(dict.fromkeys(_FIXES.get(c.reason, "") for c in cookies if c.reason in _FIXES))
    return [make_finding(
        "cookie-not-sent",
        evidence={"cookies": [{"name": c.name, "domain": c.domain, "path": c.path, "reason": c.reason}
                              for c in cookies], "status": facts.status},
        reasons=" ".join(c.detail for c in cookies), names=", ".join(dict.fromkeys(c.name for c in cookies)),
        first_reason=cookies[0].detail[:1].lower() + cookies[0].detail[1:],
        fix=("To send it: " + "; ".join(fixes) + ".") if fixes else "",
    )]


def csrf_failed(facts: Facts) -> list[Finding]:
    if facts.status not in (400, 403, 419, 422):
        return []
    text = " ".join(filter(None, [facts.server_message, facts.server_error, _body_text(facts.hop, 16384)]))
    for pattern, framework, cookie, header in _CSRF:
        m = pattern.search(text) or (pattern.search("page expired") if facts.status == 419
                                     and framework == "Laravel" else None)
        if not m:
            continue
        sent_header = bool(header) and facts.hop.sent_header(header) is not None
        carrier = (f"the {cookie} cookie (copied into the {header} header)" if cookie
                   else f"the {header} header (the csrf-token <meta> tag of its pages)" if header
                   else "a CSRF token the page or a cookie provides")
        what = ("its CSRF token was wrong" if sent_header
                else f"it carries no CSRF token{f' ({header} was not sent)' if header else ''}")
        return [make_finding(
            "csrf-failed",
            evidence={"framework": framework, "cookie": cookie or None, "header": header or None,
                      "header_sent": sent_header, "status": facts.status,
                      "message": facts.server_message or " ".join(m.group(0).split())},
            framework=framework, carrier=carrier, what=what,
            carrier_short=f"the {cookie} cookie's value" if cookie else "its token",
            cookie=cookie or "CSRF", header=header or "X-CSRF-Token",
        )]
    return []


def _jwks_kids(exchange: Exchange) -> tuple[str | None, list[str]] | None:
    """The kids of a JWKS fetched as a hop of this exchange (role jwks), with its URL."""
    for hop in reversed(exchange.hops):
        if hop.role != "jwks" or hop.response is None or hop.response.status != 200:
            continue
        try:
            doc = json.loads(hop.response.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        keys = doc.get("keys") if isinstance(doc, dict) else None
        if isinstance(keys, list):
            return hop.url, [str(k.get("kid")) for k in keys if isinstance(k, dict) and k.get("kid")]
    return None


def signing_key_unknown(facts: Facts) -> list[Finding]:
    """The token's kid is not among the keys the issuer publishes now (replaces signature-invalid)."""
    info = facts.readable_token
    if info is None:
        return []
    kid = info.header.get("kid")
    if not isinstance(kid, str) or not kid:
        return []
    jwks: str | None = facts.expectations.jwks_url
    kids: list[str] | None = None
    fetched = _jwks_kids(facts.exchange)
    if fetched is not None:
        jwks, kids = fetched
    elif info.verify_outcome == "no-key":
        listed = _LISTED_KIDS_RE.search(info.verify_error or "")
        kids = [k.strip() for k in listed.group(1).split(",") if k.strip()] if listed else []
    if kids is None or kid in kids:
        return []
    return [make_finding(
        "signing-key-unknown",
        evidence={"kid": kid, "jwks_kids": kids, "jwks_url": jwks, "alg": info.header.get("alg")},
        jwks=jwks or "the issuer's JWKS", kids=", ".join(kids) if kids else "no key with that kid",
    )]


def nginx_client_certificate(facts: Facts) -> list[Finding]:
    """nginx completes the handshake without a certificate and answers 400 "No required SSL certificate was
    sent": the same problem as a handshake refused for want of one."""
    if facts.status != 400 or not _NGINX_NO_CERT_RE.search(_body_text(facts.hop, 8192)):
        return []
    host = host_of(facts.hop.url)
    return [make_finding(
        "tls-client-certificate-required",
        evidence={"host": host, "status": 400, "source": "http"},
        host=host, how=f"The server completed the handshake and answered {status_text(facts.resp)}: "
                       "\u201cNo required SSL certificate was sent\u201d (nginx).",
    )]


# -------------------------------------------------------------------------------- a sign-in step stopped


def is_sign_in_step(exchange: Exchange, hop: Hop) -> bool:
    """Whether the send stopped at a sign-in step: a login, an authorization, discovery, or the token
    request of a browser or device flow (a plain client-credentials token request is judged as before)."""
    if hop.role in ("login", "authorize", "discovery"):
        return True
    return hop.role == "token" and any(h.role == "authorize" for h in exchange.hops)


def _json(hop: Hop) -> dict[str, Any]:
    try:
        doc = json.loads(_body_text(hop, 256 * 1024))
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


_FLOW_FIXES = {
    "access_denied": "The person (or a policy) declined: sign in again and allow the access, or ask an "
                     "administrator to grant the app consent.",
    "invalid_scope": "Ask only for scopes this client may have: check the profile's scope.",
    "invalid_grant": "The code was used twice, expired, or its PKCE verifier did not match: send again to "
                     "start a new sign-in.",
    "expired_token": "The device code expired before it was entered: send again and enter the new code "
                     "sooner.",
    "state-mismatch": "Start again from the app, in one browser tab (an old or foreign redirect came back).",
    "unauthorized_client": "The client may not use this flow: ask the provider's administrators to allow it.",
    "invalid_client": "The provider does not know the client: check the profile's client_id (and secret).",
    "discovery": "Check the issuer (a tenant, a path such as /v2.0, a trailing slash), or set the endpoints "
                 "in the profile instead.",
    "never-finished": "Finish signing in within the time allowed (--auth-timeout in the command line); if "
                      "the browser showed an error page, the redirect URI http://127.0.0.1/callback (any "
                      "port) may not be registered for this client.",
}


def _flow_name(exchange: Exchange) -> str:
    hops = exchange.hops
    if any(h.role == "authorize" and h.method == "POST" for h in hops):
        return "device sign-in"
    if any(h.role == "authorize" for h in hops):
        return "browser sign-in"
    return "sign-in"


def explain_step(facts: Facts, problem: str | None) -> Diagnosis:
    """The send stopped at a sign-in step that answered: login-failed or oauth-flow-failed, and what the
    server said; verdict authentication (spec: signin.md, "Outcome of a failed flow")."""
    from inspector.core.diagnosis.rules import server  # the server's words, as for any refusal

    hop = facts.hop
    sentence = facts.scrub(problem) or f"The {hop.role} step answered {status_text(facts.resp)}."
    if hop.role == "login":
        body = hop.response.body[:PAGE_BYTES] if hop.response else b""
        form_again = facts.status == 200 and bool(_PASSWORD_INPUT_RE.search(body.decode("utf-8", "replace")))
        reason = ("the username or password was not accepted" if form_again or facts.status in (400, 401, 403)
                  else "the login form is not where the profile says" if facts.status in (404, 405, 410)
                  else f"the login answered {status_text(facts.resp)}")
        fields = sorted({k for k, _v in parse_qsl(hop.sent_body.decode("utf-8", "replace"))}
                        or _json_keys(hop.sent_body))
        finding = make_finding(
            "login-failed",
            evidence={"login_url": mask_url(hop.url), "status": facts.status, "form_shown_again": form_again,
                      "session_cookie_set": any(not c.removed for c in hop.cookies_set),
                      "fields": fields},
            problem=sentence, login_url=mask_url(hop.url), status=status_text(facts.resp), reason=reason,
            fields=", ".join(fields) or "none",
        )
    else:
        answer = _json(hop)
        params = answer if hop.role == "authorize" else {}
        error = answer.get("error") if isinstance(answer.get("error"), str) else None
        if hop.role == "authorize" and params.get("state_matches") is False:
            error = "state-mismatch"
        if hop.role == "discovery":
            error = error or "discovery"
        reason = error or status_text(facts.resp)
        said = answer.get("error_description")
        finding = make_finding(
            "oauth-flow-failed",
            evidence={"step": hop.role, "error": error,
                      "description": facts.scrub(said) if isinstance(said, str) else None,
                      "status": facts.status, "url": mask_url(hop.url)},
            problem=sentence, fix=_FLOW_FIXES.get(error or "", "Check the client id, scope and endpoints of "
                                                                 "the profile."),
            flow=_flow_name(facts.exchange), reason=reason,
        )
    findings = sort_findings([finding, *server.said(facts)])
    return Diagnosis(
        verdict="authentication",
        summary=finding_summary(finding),
        findings=tuple(findings),
        challenges=tuple(facts.challenges),
        proxy_challenges=tuple(facts.proxy_challenges),
        server_error=facts.server_error,
        server_message=facts.server_message,
        missing_evidence=tuple(facts.missing),
    )


def _json_keys(body: bytes) -> list[str]:
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return []
    return sorted(str(k) for k in doc) if isinstance(doc, dict) else []


# ------------------------------------------------------------------------------------ nothing came back


def transport_findings(exchange: Exchange, now: datetime) -> list[Finding]:
    """Why nothing came back, when the sign-in or TLS evidence says more than the error sentence."""
    hops = exchange.hops
    last = hops[-1] if hops else None
    out: list[Finding] = []
    if last is not None and last.tls is not None:
        out += tls_findings(last.tls, exchange)
    error = exchange.error
    # a browser that never came back, a device code nobody entered, a cancel while waiting for either
    if (last is not None and last.role == "authorize" and error is not None
            and error.kind in ("timeout", "cancelled")):
        why = "it was cancelled" if error.kind == "cancelled" else "nobody finished signing in in time"
        out.append(make_finding(
            "oauth-flow-failed",
            evidence={"step": "authorize", "error": error.kind, "status": None, "url": mask_url(last.url),
                      "description": None},
            problem=f"The {_flow_name(exchange)} was waiting for the person to sign in, and {why}. "
                    f"{error.message}",
            fix=_FLOW_FIXES["never-finished"], flow=_flow_name(exchange),
            reason="cancelled" if error.kind == "cancelled" else "nobody finished signing in in time"))
    return sort_findings(out)


def transport_summary(findings: Sequence[Finding]) -> str | None:
    leader = leading_finding(findings, "transport-error") or leading_finding(findings, "authentication")
    return finding_summary(leader) if leader is not None else None


def _certificate_evidence(report: TlsReport) -> dict[str, Any]:
    cert = report.certificate
    out: dict[str, Any] = {"host": report.host, "port": report.port, "reason": report.reason,
                           "alert": report.alert, "ca_bundle": report.ca_bundle}
    if cert is not None:
        out.update(subject=cert.subject, issuer=cert.issuer, not_before=iso(cert.not_before),
                   not_after=iso(cert.not_after), sha256=cert.sha256, dns_names=list(cert.dns_names),
                   ip_addresses=list(cert.ip_addresses), self_signed=cert.self_signed)
    return out


def _server_date(exchange: Exchange, host: str) -> datetime | None:
    """The server's clock, from an earlier answer of the same host in this exchange (rarely there)."""
    from email.utils import parsedate_to_datetime

    for hop in exchange.hops:
        if hop.response is not None and host_of(hop.url) == host and hop.response.header("Date"):
            try:
                return parsedate_to_datetime(hop.response.header("Date") or "")
            except (TypeError, ValueError):
                return None
    return None


def tls_findings(report: TlsReport, exchange: Exchange) -> list[Finding]:
    """One finding for a failed handshake: the library's reason first, the certificate read second."""
    reason = report.reason.lower()
    alert = report.alert or ""
    cert = report.certificate
    ev = _certificate_evidence(report)
    host = report.host
    verify_failed = "certificate_verify_failed" in reason or "certificate verify failed" in reason
    names = [*(cert.dns_names if cert else ()), *(cert.ip_addresses if cert else ())]
    now = report.checked_at
    if not verify_failed:
        # a TLS 1.3 server refuses a certificate after the client finished: its alert may be lost, and the
        # connection simply ends (EOF, reset) right after the certificate it asked for was sent
        ended = any(w in reason for w in ("eof occurred", "reset by peer", "unexpected eof",
                                          "connection reset"))
        if report.client_cert_sent and (alert in _REFUSING_ALERTS or (
                not alert and ended and report.client_cert_requested is not False)):
            return [make_finding("tls-client-certificate-rejected", evidence=ev, host=host,
                                 alert=alert or f"the server ended the connection: {report.reason}")]
        wanted = alert == "certificate required" or (
            report.client_cert_requested is True and not report.client_cert_sent)
        if wanted:
            how = ("The server ended the handshake with the 'certificate required' alert (TLS 1.3)."
                   if alert == "certificate required" else
                   f"The server asked for a client certificate during the handshake and then ended it "
                   f"({alert or report.reason}).")
            return [make_finding("tls-client-certificate-required", evidence={**ev, "source": "handshake",
                                 "client_cert_requested": report.client_cert_requested}, host=host, how=how)]
        return []
    expired = "expired" in reason or "not yet valid" in reason or (
        cert is not None and now is not None and not cert.not_before <= now <= cert.not_after)
    if expired and cert is not None and now is not None:
        early = now < cert.not_before
        server_now = _server_date(exchange, host)
        return [make_finding(
            "tls-certificate-expired", evidence={**ev, "local_time": iso(now),
                                                 "server_time": iso(server_now) if server_now else None},
            host=host, not_before=iso(cert.not_before), not_after=iso(cert.not_after), local_time=iso(now),
            state="is not valid yet" if early else "has expired",
            when=f"valid from {iso(cert.not_before)}" if early else f"expired {iso(cert.not_after)}",
            server_clock=(f" The server's clock (its Date header) said {iso(server_now)}." if server_now
                          else " The server's own clock is unknown: no answer came back to read its Date."),
        )]
    named = cert is not None and bool(names) and _names(host, cert)
    if "mismatch" in reason or "doesn't match" in reason or (cert is not None and names and not named):
        shown = ", ".join(names) or "no names"
        return [make_finding("tls-hostname-mismatch", evidence={**ev, "names": names}, host=host,
                             names=shown, first_name=names[0] if names else "?", port=report.port)]
    why = ("it is self-signed" if (cert is not None and cert.self_signed) or "self-signed" in reason
           or "self signed" in reason else
           f"its issuer ({cert.issuer if cert else 'unknown'}) is not a CA this computer trusts"
           if "local issuer" in reason or "unable to get" in reason else
           report.reason.split(":", 1)[-1].strip() or "it could not be verified")
    bundle = f" (the one in use now, {report.ca_bundle}, does not hold it)" if report.ca_bundle else ""
    return [make_finding(
        "tls-untrusted-certificate", evidence=ev, host=host, why=why, bundle_note=bundle,
        subject=cert.subject if cert else "?", issuer=cert.issuer if cert else "?",
        not_before=iso(cert.not_before) if cert else "?", not_after=iso(cert.not_after) if cert else "?",
        sha256=cert.sha256 if cert else "?",
    )]


def _names(host: str, cert: Any) -> bool:
    """Whether the certificate names host (a DNS name, a wildcard one level deep, or an IP address)."""
    host = host.strip("[]").lower()
    if host in (ip.lower() for ip in cert.ip_addresses):
        return True
    for name in cert.dns_names:
        name = name.lower()
        if name == host or (name.startswith("*.") and host.split(".", 1)[-1] == name[2:] and "." in host):
            return True
    return False

