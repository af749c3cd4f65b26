"""The explanation as one story, the way the panel, the CLI text and the report tell it.

tell(diagnosis, failure) -> Story: the banner's title and sentence, the findings in the order they are told
(the one the sentence speaks for first), what the server said, each of its words said once, and for a send
that got no answer, the transport's own short story (what failed, the likely causes, what to try).
A pure function of the Diagnosis: the panel shows a Story, it decides nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from inspector.core.diagnosis.findings import Finding, story_order, verdict_title
from inspector.core.diagnosis.model import Diagnosis
from inspector.core.exchange import TransportFailure

# Findings that say no credential reached the server.
ANONYMOUS_FINDINGS = frozenset({"no-credentials", "credentials-stripped-on-redirect"})
# What the findings section says when no finding was made.
QUIET_OK = "Nothing wrong found in what was sent and received."
QUIET_REFUSED = "No single cause could be read from what was sent; the server's answer below is the evidence."


@dataclass(frozen=True)
class TransportStory:
    """Why no answer came back: what failed, in one sentence; the likely causes; what to try."""

    what: str
    causes: tuple[str, ...]
    tries: tuple[str, ...]


@dataclass(frozen=True)
class Story:
    title: str  # the banner's title: what the verdict means
    summary: str  # the banner's sentence
    findings: tuple[Finding, ...]  # in the order to tell them; the server's words are not repeated
    server: tuple[tuple[str, str], ...]  # ("Error code", ...), ("Message", ...): what no finding said yet
    quiet: str  # what to say when there is no finding ("" when the transport story stands in for them)
    transport: TransportStory | None = None
    said: tuple[str, ...] = ()  # everything told above the raw evidence (banner, findings, server lines)

    def already_said(self, words: str | None) -> bool:
        """Whether the story already tells these words (a challenge's error_description, say)."""
        return any(_says(text, words) for text in self.said)


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).strip().rstrip(".!").strip().lower()


def _says(text: str, words: str | None) -> bool:
    """Whether text already quotes words (compared without case, spacing or a final full stop)."""
    w = _norm(words)
    # whole words only: "No" is not said by "Not authenticated"
    return bool(w) and re.search(rf"(?<!\w){re.escape(w)}(?!\w)", _norm(text)) is not None


def tell(diagnosis: Diagnosis | None, failure: TransportFailure | None = None, url: str = "") -> Story:
    """The story of one exchange (see the module text). `failure` and `url`: the send's error, when any."""
    d = diagnosis
    if failure is not None and (d is None or d.verdict == "transport-error"):
        story = transport_story(failure.kind, failure.message, url)
        return Story(
            title=verdict_title("transport-error"),
            summary=d.summary if d is not None and d.summary else failure.message,
            findings=d.findings if d is not None else (),
            server=(),
            quiet="",
            transport=story,
        )
    if d is None:
        return Story("No explanation", "This answer has not been explained.", (), (), "")
    findings = story_order(d.findings, d.verdict)
    message = d.server_message
    said = [d.summary]  # what the banner and the findings told so far, in reading order
    shown: list[Finding] = []
    for f in findings:
        if f.id == "server-message":
            quoted = str(f.evidence.get("message") or "") or f.detail
            if any(_says(text, quoted) for text in said):
                continue  # its whole content is a message already told
        elif f.id == "server-error-code":
            f = _code_without_repeat(f, said)
        shown.append(f)
        said.append(f.detail)
    server: list[tuple[str, str]] = []
    if d.server_error and not any(f.id == "server-error-code" for f in shown):
        server.append(("Error code", d.server_error))
    if message and not any(_says(text, message) for text in said):
        server.append(("Message", message))  # said nowhere above: the section says it
    # nothing identified the caller on the final request: a 401 then means "who are you?", not "no"
    anonymous = any(f.id in ANONYMOUS_FINDINGS for f in d.findings)
    return Story(
        title=verdict_title(d.verdict, credential_sent=not anonymous),
        summary=d.summary,
        findings=tuple(shown),
        server=tuple(server),
        quiet=QUIET_OK if d.verdict == "ok" else QUIET_REFUSED,
        said=(*said, *(value for _label, value in server)),
    )


def _code_without_repeat(f: Finding, said: list[str]) -> Finding:
    """server-error-code whose description the banner or a finding before it already quotes: the code alone,
    with RFC 6750's status note when the server's status contradicts it."""
    description = str(f.evidence.get("description") or "")
    if not description or not any(_says(text, description) for text in said):
        return f
    code = str(f.evidence.get("code") or "")
    status, expected = f.evidence.get("status"), f.evidence.get("expected_status")
    note = ""
    if expected and f.evidence.get("source") == "challenge" and expected != status:
        note = f" RFC 6750 §3.1 says '{code}' goes with {expected}, but the server answered {status}."
    return replace(f, detail=f"Its description is the message quoted above.{note}")


# ---------------------------------------------------------------------------------------------- transport


def _hostport(url: str, message: str) -> str:
    try:
        parts = urlsplit(url)
        if parts.hostname:
            port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
            return f"{parts.hostname}:{port}" if port else parts.hostname
    except ValueError:
        pass
    m = re.search(r"to ([\w.\-\[\]:]+:\d+)", message)
    return m.group(1) if m else "the server"


def transport_story(kind: str, message: str, url: str = "") -> TransportStory:
    """What failed (the transport's sentence), the likely causes and what to try, for one error kind."""
    where = _hostport(url, message)
    low = message.lower()
    scheme = urlsplit(url).scheme.lower() if url else ""
    other_scheme = "https://" if scheme == "http" else "http://"
    causes: tuple[str, ...]
    tries: tuple[str, ...]
    if "proxy" in low:
        causes = (
            "The proxy named in HTTPS_PROXY / HTTP_PROXY (or the proxy setting) is down, wrong, or wants "
            "credentials.",
            "The network needs no proxy for this host, but one is configured.",
        )
        tries = (
            "Check the proxy setting and its credentials.",
            "Add the host to NO_PROXY if it should be reached directly.",
        )
    elif kind == "connection" and "refused" in low:
        causes = (
            f"Nothing is listening on {where}: the server is not running, or it listens on another port.",
            "The host name points at another machine than the one running the server (inside a container, "
            "127.0.0.1 is the container itself).",
            "A firewall rejects connections to that port.",
        )
        tries = (
            f"Start the server, or check that it listens on {where}.",
            "Check the host and port in the URL (and the variables that fill them).",
        )
    elif kind == "connection" and ("closed the connection" in low or "reset" in low):
        causes = (
            f"The server at {where} crashed or closed the connection while handling the request.",
            f"The port speaks another protocol: try {other_scheme} instead.",
            "A load balancer or proxy in between dropped the connection.",
        )
        tries = (
            f"Send it again with {other_scheme} if the server expects it.",
            "Look at the server's log for the moment of the request.",
        )
    elif kind == "connection":
        causes = (
            "The connection broke before a complete answer came back (the server, a proxy or the network).",
        )
        tries = ("Send it again; if it keeps failing, look at the server's log and the network path.",)
    elif kind == "dns":
        causes = (
            "The host name is misspelled.",
            "The host only resolves inside a company network or VPN.",
            "This machine has no working DNS or network right now.",
        )
        tries = ("Check the host name in the URL.", "Connect to the VPN or network where the host lives.")
    elif kind == "timeout":
        causes = (
            "The server is slow or overloaded.",
            "A firewall drops the packets silently (a connect that never completes).",
            "The request is long-running and needs more time than the timeout allows.",
        )
        tries = (
            "Raise the timeout (Options tab, or --timeout) and send it again.",
            f"Check that {where} is reachable from this machine.",
        )
    elif kind == "tls":
        causes = (
            "The server's certificate is self-signed or issued by a private CA this machine does not trust.",
            "The certificate is for another host name, or it has expired.",
            f"The port does not speak TLS: try {other_scheme}.",
        )
        tries = (
            "Trust the issuing CA (REQUESTS_CA_BUNDLE or the system store).",
            "Only for a test server you trust: turn off 'Verify TLS' (--insecure).",
        )
    elif kind == "too-large":
        causes = ("The answer is bigger than the size the app keeps.",)
        tries = ("Save the body to a file, or raise the size cap.",)
    elif kind == "too-many-redirects":
        causes = (
            "The server redirects in a loop (a login page that redirects back, http <-> https).",
        )
        tries = ("Turn off following redirects to see the first answer and its Location header.",)
    elif kind == "invalid-url":
        causes = ("The URL cannot be sent as written.",)
        tries = ("Fix the URL (scheme, host, port) and send again.",)
    elif kind == "cancelled":
        causes = ("The request was cancelled before an answer came back.",)
        tries = ("Send it again when ready.",)
    else:
        causes = ("Something between this machine and the server failed.",)
        tries = ("Send it again; if it keeps failing, look at the server's log.",)
    return TransportStory(message, causes, tries)
