"""The profile's cookie jar: RFC 6265 parsing and matching as browsers apply them; why a cookie stays home."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from inspector.core.cookies import (
    CookieJar,
    StoredCookie,
    default_path,
    domain_match,
    is_loopback,
    parse_set_cookie,
    path_match,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "url", "expected"),
    [
        (
            "sid=abc; Path=/; HttpOnly",
            "https://app.example.com/login",
            {"name": "sid", "domain": "app.example.com", "path": "/", "host_only": True, "http_only": True},
        ),
        ("sid=abc", "https://app.example.com/a/b/login", {"path": "/a/b"}),  # the default path
        (
            "sid=abc; Domain=.Example.COM",
            "https://app.example.com/",
            {"domain": "example.com", "host_only": False},
        ),
        (
            "sid=abc; Max-Age=60; Expires=Wed, 01 Jan 2031 00:00:00 GMT",
            "https://a.example/",
            {"expires": NOW + timedelta(seconds=60)},
        ),  # Max-Age wins over Expires
        (
            "sid=abc; Expires=Sat, 01 Mar 2025 13:00:00 GMT",
            "https://a.example/",
            {"expires": datetime(2025, 3, 1, 13, tzinfo=UTC)},
        ),
        (
            "sid=abc; Secure; SameSite=Strict",
            "http://127.0.0.1:8000/",
            {"secure": True, "same_site": "Strict"},
        ),
        ("sid=abc; Path=relative", "https://a.example/x/y", {"path": "/x"}),  # not a path: the default one
    ],
)
def test_set_cookie_is_read_as_rfc_6265_says(line: str, url: str, expected: dict[str, object]) -> None:
    cookie = parse_set_cookie(line, url, NOW)
    assert isinstance(cookie, StoredCookie)
    for key, value in expected.items():
        assert getattr(cookie, key) == value, key


@pytest.mark.parametrize(
    ("line", "url", "words"),
    [
        ("sid=abc; Domain=other.example", "https://app.example.com/", "does not cover the host"),
        ("sid=abc; Secure", "http://app.example.com/", "Secure cookie set over plain http"),
        ("__Secure-sid=abc", "https://app.example.com/", "not marked Secure"),
        ("__Host-sid=abc; Secure; Domain=example.com", "https://app.example.com/", "__Host-"),
        ("sid=abc; Domain=127.0.0.2", "http://127.0.0.1/", "does not cover"),
    ],
)
def test_refused_cookies_say_why(line: str, url: str, words: str) -> None:
    refused = parse_set_cookie(line, url, NOW)
    assert isinstance(refused, str) and words in refused


@pytest.mark.parametrize("line", ["no-equals-sign", "=value-without-name", ""])
def test_lines_that_are_no_cookie_are_ignored(line: str) -> None:
    assert parse_set_cookie(line, "https://a.example/", NOW) is None


@pytest.mark.parametrize(
    ("host", "domain", "ok"),
    [
        ("a.example.com", "example.com", True),
        ("example.com", "example.com", True),
        ("badexample.com", "example.com", False),
        ("127.0.0.1", "0.0.1", False),
    ],
)
def test_domain_match(host: str, domain: str, ok: bool) -> None:
    assert domain_match(host, domain) is ok


@pytest.mark.parametrize(
    ("request_path", "cookie_path", "ok"),
    [
        ("/app/notes", "/app", True),
        ("/app", "/app", True),
        ("/application", "/app", False),
        ("/app/notes", "/app/", True),
        ("/", "/app", False),
    ],
)
def test_path_match(request_path: str, cookie_path: str, ok: bool) -> None:
    assert path_match(request_path, cookie_path) is ok


@pytest.mark.parametrize(("path", "default"), [("/", "/"), ("/login", "/"), ("/a/b/c", "/a/b"), ("", "/")])
def test_default_path(path: str, default: str) -> None:
    assert default_path(path) == default


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("app.localhost", True),
        ("LocalHost.", True),
        ("ip6-localhost", True),
        ("localhost.example.com", False),
        ("example.com", False),
        ("10.0.0.1", False),
    ],
)
def test_loopback_hosts_count_as_secure(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def _jar(*lines: tuple[str, str]) -> CookieJar:
    jar = CookieJar()
    for url, line in lines:
        jar.store(url, [("Set-Cookie", line)], NOW)
    return jar


@pytest.mark.parametrize(
    ("set_by", "line", "request_url", "reason"),
    [
        ("https://app.example.com/", "sid=s3cret-value; Secure", "http://app.example.com/notes", "secure"),
        ("https://app.example.com/", "sid=s3cret-value", "https://api.example.com/notes", "domain"),
        (
            "https://app.example.com/",
            "sid=s3cret-value; Path=/admin",
            "https://app.example.com/notes",
            "path",
        ),
        (
            "https://app.example.com/",
            "sid=s3cret-value; Max-Age=5",
            "https://app.example.com/notes",
            "expired",
        ),
    ],
)
def test_a_cookie_held_back_names_its_reason(set_by: str, line: str, request_url: str, reason: str) -> None:
    jar = _jar((set_by, line))
    later = NOW + timedelta(seconds=10)
    header, sent, held = jar.header_for(request_url, later)
    assert header is None and sent == ()
    assert [(h.name, h.reason) for h in held] == [("sid", reason)]
    assert "sid" in held[0].detail and "s3cret-value" not in held[0].detail


def test_a_secure_cookie_goes_to_loopback_over_http() -> None:
    jar = _jar(("http://127.0.0.1:5000/login", "sid=abc123; Secure; HttpOnly"))
    header, sent, held = jar.header_for("http://127.0.0.1:5000/notes", NOW)
    assert header == "sid=abc123" and sent == ("sid",) and held == ()


def test_cookies_of_another_site_are_neither_sent_nor_held() -> None:
    jar = _jar(("https://app.example.com/", "sid=abc"))
    assert jar.header_for("https://elsewhere.test/", NOW) == (None, (), ())


def test_longer_paths_go_first_and_a_removal_deletes() -> None:
    jar = _jar(("https://a.example/", "x=1; Path=/"), ("https://a.example/", "y=2; Path=/app"))
    header, sent, _ = jar.header_for("https://a.example/app/n", NOW)
    assert header == "y=2; x=1" and sent == ("y", "x")
    notes = jar.store("https://a.example/", [("Set-Cookie", "y=; Max-Age=0; Path=/app")], NOW)
    assert notes[0].removed and jar.header_for("https://a.example/app/n", NOW)[0] == "x=1"


def test_values_feed_the_redactor_and_live_reads_expiry() -> None:
    jar = _jar(("https://a.example/", "sessionid=0123456789abcdef; Max-Age=60"))
    assert "0123456789abcdef" in jar.values()
    assert jar.live(["sessionid"], NOW) and not jar.live(["sessionid"], NOW + timedelta(seconds=61))
