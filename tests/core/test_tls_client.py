"""[tls] on a profile against real `ssl` servers (the demo's throwaway CA): a server that demands a client
certificate, an encrypted client key, a CA bundle, and failed handshakes described from the server's
certificate (a second handshake that verifies nothing)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from inspector.core.diagnosis import explain
from inspector.core.errors import ProfileError
from inspector.core.pipeline import prepare
from inspector.core.profiles.model import TlsSettings, new_profile
from inspector.core.profiles.secrets import Resolver
from inspector.core.request import RequestSpec
from inspector.core.tls import read_server_certificate
from inspector.demo.tls import DEMO_KEY_PASSWORD, DemoTls


@pytest.fixture(scope="module")
def pki() -> Iterator[DemoTls]:
    tls = DemoTls.start("127.0.0.1")
    try:
        yield tls
    finally:
        tls.stop()


def send_with(tls_settings: TlsSettings | None, url: str, folder: Path, password: str = DEMO_KEY_PASSWORD):
    profile = new_profile("mtls", "none", folder, tls=tls_settings)
    prepared = prepare(RequestSpec(url=url, timeout_s=10), profile, Resolver(None, env={"KEY_PW": password}))
    exchange = prepared.send()
    return prepared, exchange, explain(exchange)


def client(pki: DemoTls, **extra: str) -> TlsSettings:
    p = pki.pki
    return TlsSettings(
        client_cert=str(p.client_cert),
        client_key=str(p.client_key),
        key_password="${env:KEY_PW}",
        ca_bundle=str(p.ca),
        **extra,
    )


def test_a_client_certificate_with_an_encrypted_key_is_accepted(pki: DemoTls, tmp_path: Path) -> None:
    prepared, exchange, diagnosis = send_with(client(pki), pki.url("mtls") + "/whoami", tmp_path)
    assert exchange.error is None and exchange.response is not None and exchange.response.status == 200
    answer = json.loads(exchange.response.body)
    assert "demo support engineer" in answer["client_certificate"] and answer["tls_version"] == "TLSv1.3"
    assert diagnosis.verdict == "ok"
    assert DEMO_KEY_PASSWORD in prepared.redactor.values()  # the key password is a secret for every output


@pytest.mark.parametrize("server", ["mtls", "mtls12"])
def test_no_client_certificate_is_explained_from_the_handshake(
    pki: DemoTls, tmp_path: Path, server: str
) -> None:
    trust_only = TlsSettings(ca_bundle=str(pki.pki.ca))
    _prepared, exchange, diagnosis = send_with(trust_only, pki.url(server) + "/", tmp_path)
    assert exchange.error is not None and exchange.error.kind == "tls" and exchange.response is None
    report = exchange.hops[-1].tls
    assert report is not None and not report.client_cert_sent and report.client_cert_requested is True
    assert report.certificate is not None and f"demo {server} server" in report.certificate.subject
    assert diagnosis.verdict == "transport-error"
    assert diagnosis.finding_ids == ("tls-client-certificate-required",)
    assert "client certificate" in diagnosis.summary


def test_a_certificate_from_another_ca_is_refused_and_said_so(pki: DemoTls, tmp_path: Path) -> None:
    p = pki.pki
    foreign = TlsSettings(
        client_cert=str(p.other_client_cert), client_key=str(p.other_client_key), ca_bundle=str(p.ca)
    )
    _prepared, exchange, diagnosis = send_with(foreign, pki.url("mtls") + "/", tmp_path)
    report = exchange.hops[-1].tls
    assert report is not None and report.client_cert_sent and report.client_cert_requested is True
    assert diagnosis.verdict == "transport-error"
    assert "tls-client-certificate-rejected" in diagnosis.finding_ids


def test_a_wrong_key_password_is_named(pki: DemoTls, tmp_path: Path) -> None:
    _prepared, exchange, _diagnosis = send_with(client(pki), pki.url("mtls") + "/", tmp_path, password="nope")
    assert exchange.error is not None and exchange.error.kind == "tls"
    assert "password is missing or wrong" in exchange.error.message
    assert "nope" not in exchange.error.message


def test_a_missing_certificate_file_stops_before_anything_is_sent(pki: DemoTls, tmp_path: Path) -> None:
    missing = TlsSettings(client_cert=str(tmp_path / "nope.pem"))
    with pytest.raises(ProfileError, match=r"tls.client_cert.*is not a readable file"):
        send_with(missing, pki.url("mtls") + "/", tmp_path)


def test_relative_paths_are_read_from_the_profile_folder(pki: DemoTls) -> None:
    folder = pki.pki.folder
    relative = TlsSettings(
        client_cert="client.pem",
        client_key="client-key.pem",
        key_password="${env:KEY_PW}",
        ca_bundle="ca.pem",
    )
    _prepared, exchange, _diagnosis = send_with(relative, pki.url("mtls") + "/", folder)
    assert exchange.response is not None and exchange.response.status == 200


@pytest.mark.parametrize(
    ("server", "finding", "evidence"),
    [
        ("self_signed", "tls-untrusted-certificate", {"self_signed": True}),
        ("wrong_host", "tls-hostname-mismatch", {"dns_names": ["demo.internal"]}),
        ("expired", "tls-certificate-expired", {"self_signed": False}),
    ],
)
def test_failed_handshakes_are_described_from_the_certificate(
    pki: DemoTls, tmp_path: Path, server: str, finding: str, evidence: dict
) -> None:
    """The SSL library's first reason decides the finding; the certificate read supplies its evidence."""
    _prepared, exchange, diagnosis = send_with(None, pki.url(server) + "/", tmp_path)
    assert exchange.error is not None and exchange.error.kind == "tls"
    found = diagnosis.finding(finding)
    assert found is not None and diagnosis.verdict == "transport-error", diagnosis.finding_ids
    for key, value in evidence.items():
        assert found.evidence[key] == value
    assert ":" in str(found.evidence["sha256"])
    assert diagnosis.summary == found.summary


@pytest.mark.parametrize(
    ("server", "finding"), [("wrong_host", "tls-hostname-mismatch"), ("expired", "tls-certificate-expired")]
)
def test_with_the_ca_trusted_the_real_problem_shows(
    pki: DemoTls, tmp_path: Path, server: str, finding: str
) -> None:
    trust = TlsSettings(ca_bundle=str(pki.pki.ca))
    _prepared, _exchange, diagnosis = send_with(trust, pki.url(server) + "/", tmp_path)
    assert diagnosis.finding_ids == (finding,), diagnosis.finding_ids


def test_a_ca_bundle_is_what_fixes_an_untrusted_certificate(pki: DemoTls, tmp_path: Path) -> None:
    own = pki.pki.servers["self_signed"][0]  # a self-signed certificate is its own CA
    _prepared, exchange, diagnosis = send_with(
        TlsSettings(ca_bundle=str(own)), pki.url("self_signed") + "/", tmp_path
    )
    assert exchange.response is not None and exchange.response.status == 200 and diagnosis.verdict == "ok"


def test_the_describing_handshake_reads_the_certificate_and_the_request_for_one(pki: DemoTls) -> None:
    port = urlsplit(pki.url("mtls12")).port
    assert port is not None
    cert, requested = read_server_certificate("127.0.0.1", port, "127.0.0.1")
    assert requested is True and cert is not None and "127.0.0.1" in cert.ip_addresses
    port = urlsplit(pki.url("self_signed")).port
    assert port is not None
    cert, requested = read_server_certificate("127.0.0.1", port, "127.0.0.1")
    assert requested is False and cert is not None and cert.self_signed
