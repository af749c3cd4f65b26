"""Client certificates and CA bundles for a send, and TLS failures described from the server's certificate.

`ClientTls` is a profile's [tls] table with its key password resolved. When a handshake fails,
`describe_tls_failure` reads what the SSL library said and, with a second handshake that verifies nothing and
sends no request, the certificate the server actually presents (and whether it asked for a client
certificate), so the explainer can say "self-signed", "for another host", "expired" or "wants a client
certificate" from evidence instead of from an error string.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from inspector.core.cookies import is_ip
from inspector.core.exchange import ServerCertificate, TlsReport

DESCRIBE_TIMEOUT_S = 5.0
MAX_CERT_BYTES = 64 * 1024

# OpenSSL's alert reasons, in words (the part after "ALERT_")
_ALERTS = {
    "certificate_required": "certificate required",
    "handshake_failure": "handshake failure",
    "unknown_ca": "unknown CA",
    "bad_certificate": "bad certificate",
    "certificate_expired": "certificate expired",
    "certificate_revoked": "certificate revoked",
    "certificate_unknown": "certificate unknown",
    "unsupported_certificate": "unsupported certificate",
    "access_denied": "access denied",
    "decrypt_error": "decrypt error",
}
_ALERT_RE = re.compile(r"(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)", re.IGNORECASE)


@dataclass(frozen=True)
class ClientTls:
    """A profile's [tls] settings for one send: file paths, the key password resolved (a secret)."""

    client_cert: str | None = None
    client_key: str | None = None
    key_password: str | None = None
    ca_bundle: str | None = None

    @property
    def cert(self) -> tuple[str, str] | str | None:
        """What requests takes as `cert`."""
        if not self.client_cert:
            return None
        return (self.client_cert, self.client_key) if self.client_key else self.client_cert

    def __repr__(self) -> str:  # never the password
        return (f"ClientTls(client_cert={self.client_cert!r}, client_key={self.client_key!r}, "
                f"key_password={'…' if self.key_password else None}, ca_bundle={self.ca_bundle!r})")


def find_ssl_error(exc: BaseException) -> ssl.SSLError | None:
    """The ssl.SSLError inside what requests and urllib3 raise (they nest it in args and causes)."""
    todo: list[object] = [exc]
    seen: set[int] = set()
    while todo and len(seen) < 20:
        item = todo.pop(0)
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, ssl.SSLError):
            return item
        todo.extend([*item.args, item.__cause__, item.__context__, getattr(item, "reason", None)])
    return None


def tls_reason(exc: BaseException) -> str:
    """The SSL library's reason for a failure, short: "CERTIFICATE_VERIFY_FAILED: self-signed certificate"."""
    err = find_ssl_error(exc)
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"CERTIFICATE_VERIFY_FAILED: {err.verify_message}"
    if err is not None:
        reason = getattr(err, "reason", None)
        if reason:
            return str(reason)
        return " ".join(str(err).split())[:200]
    return " ".join(str(exc).split())[:200]


def alert_of(reason: str) -> str | None:
    """The alert the server sent, in words, when the reason names one."""
    m = _ALERT_RE.search(reason)
    if not m:
        return None
    key = m.group(1).lower()
    return _ALERTS.get(key, key.replace("_", " "))


def certificate_from_der(der: bytes) -> ServerCertificate | None:
    """The fields the explainer shows, from a DER certificate; None when it cannot be read."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(ip) for ip in san.get_values_for_type(x509.IPAddress))
    except (x509.ExtensionNotFound, ValueError):
        dns, ips = (), ()
    fingerprint = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ServerCertificate(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256=":".join(fingerprint[i:i + 2] for i in range(0, len(fingerprint), 2)),
        dns_names=dns,
        ip_addresses=ips,
        self_signed=cert.issuer == cert.subject,
    )


def _first_certificate(message: bytes, tls13: bool) -> bytes | None:
    """The first DER certificate of a TLS Certificate handshake message (RFC 5246 §7.4.2, RFC 8446 §4.4.2)."""
    try:
        pos = 4  # handshake type and 24-bit length
        if tls13:
            pos += 1 + message[4]  # certificate_request_context
        pos += 3  # the list's 24-bit length
        size = int.from_bytes(message[pos:pos + 3], "big")
        pos += 3
        der = message[pos:pos + size]
        return der if len(der) == size and 0 < size <= MAX_CERT_BYTES else None
    except IndexError:
        return None


def read_server_certificate(
    host: str, port: int, server_name: str | None, timeout_s: float = DESCRIBE_TIMEOUT_S
) -> tuple[ServerCertificate | None, bool | None]:
    """A handshake that verifies nothing and sends no request: the certificate the server presents, and
    whether it asked for a client certificate (None when that could not be seen)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    seen: dict[str, Any] = {"requested": None, "der": None}
    try:
        # OpenSSL's message callback (a CPython debugging hook) shows the handshake messages: the server's
        # CertificateRequest, and its Certificate even when the handshake then fails (TLS 1.2 without a
        # client certificate), where getpeercert() has nothing to give.
        handshake = ssl._TLSContentType.HANDSHAKE  # type: ignore[attr-defined]
        types = ssl._TLSMessageType  # type: ignore[attr-defined]

        def watch(conn: object, direction: str, version: object, content_type: object, msg_type: object,
                  data: bytes) -> None:
            try:
                look(direction, version, content_type, msg_type, data)
            except Exception:
                pass

        def look(direction: str, version: object, content_type: object, msg_type: object,
                 data: bytes) -> None:
            if direction != "read" or content_type != handshake:
                return
            if msg_type == types.CERTIFICATE_REQUEST:
                seen["requested"] = True
            elif msg_type in (types.SERVER_DONE, types.FINISHED):
                if seen["requested"] is None:
                    seen["requested"] = False
            elif msg_type == types.CERTIFICATE and seen["der"] is None:
                seen["der"] = _first_certificate(bytes(data), version == ssl.TLSVersion.TLSv1_3)

        context._msg_callback = watch  # type: ignore[attr-defined]
    except AttributeError:
        pass
    der: bytes | None = None
    sni = server_name if server_name and not is_ip(server_name) else None
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            with context.wrap_socket(sock, server_hostname=sni) as tls:
                der = tls.getpeercert(binary_form=True)
    except Exception:
        pass
    der = der or seen["der"]
    return (certificate_from_der(der) if der else None), seen["requested"]


def describe_tls_failure(exc: BaseException, host: str, port: int, *, client_cert_sent: bool,
                         ca_bundle: str | None, now: Callable[[], datetime],
                         timeout_s: float = DESCRIBE_TIMEOUT_S, look: bool = True) -> TlsReport:
    """What the failed handshake was about; with look, the server's certificate read by a second handshake."""
    reason = tls_reason(exc)
    certificate, requested = (None, None)
    if look and timeout_s > 0:
        certificate, requested = read_server_certificate(host, port, host, timeout_s)
    return TlsReport(reason=reason, host=host, port=port, client_cert_sent=client_cert_sent,
                     client_cert_requested=requested, alert=alert_of(reason), certificate=certificate,
                     ca_bundle=ca_bundle, checked_at=now().astimezone(UTC))
