"""Body bytes to text (Content-Type, charset, binary or text) and the server's message in error bodies."""

from __future__ import annotations

import codecs
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.bodies import (
    PREFIX_BYTES,
    BodyMessage,
    body_kind,
    body_text,
    charset_of,
    content_type_param,
    decode_text,
    decodes_longer_than,
    parse_mime,
    server_message,
)

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def _j(obj: object) -> bytes:
    return json.dumps(obj).encode()


@pytest.mark.parametrize(
    ("body", "ctype", "code", "message", "description", "uri"),
    [
        # RFC 9457 problem details
        (_j({"type": "https://example.com/probs/expired", "title": "Token expired", "status": 401,
             "detail": "The access token expired at 12:00."}), "application/problem+json",
         None, "Token expired", "The access token expired at 12:00.", "https://example.com/probs/expired"),
        (_j({"type": "about:blank", "title": "Unauthorized", "status": 401}), "application/problem+json",
         None, "Unauthorized", None, None),
        # OAuth 2 error JSON
        (_j({"error": "invalid_client", "error_description": "Client authentication failed",
             "error_uri": "https://idp.example.com/docs"}), "application/json",
         "invalid_client", "Client authentication failed", None, "https://idp.example.com/docs"),
        (_j({"error": "invalid_grant"}), "application/json", "invalid_grant", None, None, None),
        # FastAPI / DRF
        (_j({"detail": "Not authenticated"}), "application/json", None, "Not authenticated", None, None),
        (_j({"detail": [{"loc": ["header", "authorization"], "msg": "field required", "type": "missing"}]}),
         "application/json", None, "header.authorization: field required", None, None),
        # Flask-JWT-Extended
        (_j({"msg": "Signature verification failed"}), "application/json", None, "Signature verification failed",
         None, None),
        (_j({"msg": "Token has expired"}), None, None, "Token has expired", None, None),
        # AWS API Gateway, and the capitalised variant
        (_j({"message": "Missing Authentication Token"}), "application/json", None, "Missing Authentication Token",
         None, None),
        (_j({"Message": "User is not authorized to access this resource"}), "application/json", None,
         "User is not authorized to access this resource", None, None),
        # GitHub
        (_j({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}), "application/json",
         None, "Bad credentials", None, "https://docs.github.com/rest"),
        # Google and Azure error objects
        (_j({"error": {"code": 401, "message": "Request had invalid authentication credentials.",
                       "status": "UNAUTHENTICATED"}}), "application/json",
         "UNAUTHENTICATED", "Request had invalid authentication credentials.", None, None),
        (_j({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid.",
                       "innerError": {"date": "2024-01-01T00:00:00"}}}), "application/json",
         "InvalidAuthenticationToken", "Access token has expired or is not yet valid.", None, None),
        # GraphQL / JSON:API errors lists, nested
        (_j({"errors": [{"message": "You must be logged in"}, {"message": "Second"}]}), "application/json",
         None, "You must be logged in; Second", None, None),
        (_j({"errors": [{"code": "AUTH_REQUIRED", "detail": "Login required"}]}), "application/vnd.api+json",
         "AUTH_REQUIRED", "Login required", None, None),
        (_j({"errors": [[{"message": "deep"}]]}), "application/json", None, "deep", None, None),
        (_j({"errors": {"token": ["is invalid", "is expired"]}}), "application/json", None,
         "is invalid; is expired", None, None),
        (_j({"errors": [{"message": "Bad token", "extensions": {"code": "UNAUTHENTICATED"}}]}), "application/json",
         "UNAUTHENTICATED", "Bad token", None, None),
        # Spring Boot's default error body
        (_j({"timestamp": "2024", "status": 403, "error": "Forbidden", "message": "Access Denied", "path": "/x"}),
         "application/json", "Forbidden", "Access Denied", None, None),
        # plain text, HTML, XML
        (b"Unauthorized\n", "text/plain", None, "Unauthorized", None, None),
        (b"Jwt is expired", None, None, "Jwt is expired", None, None),
        (_j("Invalid API key"), "application/json", None, "Invalid API key", None, None),
        ((b"<html><head><title>401 Authorization Required</title></head><body><h1>Authorization Required</h1>"
          b"</body></html>"), "text/html", None, "Authorization Required", None, None),
        (b"<?xml version='1.0'?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
         "application/xml", "AccessDenied", "Access Denied", None, None),
        (b"error=invalid_client&error_description=bad+secret", "application/x-www-form-urlencoded",
         "invalid_client", "bad secret", None, None),
    ],
)
def test_shapes(body: bytes, ctype: str | None, code: str | None, message: str | None, description: str | None,
                uri: str | None) -> None:
    found = server_message(body, ctype)
    assert found is not None
    assert (found.code, found.message, found.description, found.uri) == (code, message, description, uri)


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"", None),
        (b"   ", "text/plain"),
        (b"{", "application/json"),
        (b"[[[[[[", "application/json"),
        (b"[" * 100_000, "application/json"),
        (b"{}", "application/json"),
        (_j({"data": {"id": 1}}), "application/json"),
        (b"x" * 600, "text/plain"),
        (bytes(range(256)) * 4, "application/octet-stream"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"<html><body></body></html>", "text/html"),
        (b"\xff\xfe\x00\x00garbage\x00", None),
        (_j(12), "application/json"),
        (_j(None), "application/json"),
    ],
)
def test_no_message_in_garbage_or_non_messages(body: bytes, ctype: str | None) -> None:
    assert server_message(body, ctype) is None


def test_huge_json_body_is_not_parsed_past_the_prefix() -> None:
    body = _j({"message": "x", "pad": "y" * (PREFIX_BYTES * 2)})
    assert server_message(body, "application/json") is None  # truncated JSON cannot be quoted


def test_long_messages_are_cut() -> None:
    found = server_message(_j({"message": "m" * 5000}), "application/json")
    assert found is not None and found.message is not None
    assert len(found.message) <= 1001 and found.message.endswith("…")


def test_charset_from_content_type_is_used() -> None:
    found = server_message("Accès refusé".encode("latin-1"), "text/plain; charset=ISO-8859-1")
    assert found == BodyMessage(message="Accès refusé", shape="text")


def test_text_property_prefers_message_then_description_then_code() -> None:
    assert BodyMessage(code="c", description="d").text == "d"
    assert BodyMessage(code="c").text == "c"
    assert BodyMessage(code="c", message="m").text == "m"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([None, "application/json", "text/plain", "text/html",
                                                  "application/problem+json", "application/xml",
                                                  "text/plain; charset=bogus"]))
def test_never_raises(body: bytes, ctype: str | None) -> None:
    result = server_message(body, ctype)
    assert result is None or isinstance(result, BodyMessage)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["message", "msg", "detail", "error", "errors", "title", "code", "x"]),
                        inner, max_size=4), max_leaves=30))
def test_never_raises_on_arbitrary_json(obj: object) -> None:
    result = server_message(_j(obj), "application/json")
    assert result is None or isinstance(result, BodyMessage)


# --- Content-Type, binary or text, bytes to text (moved from test_highlight.py) -------------------------


@pytest.mark.parametrize(
    ("content_type", "mime", "charset"),
    [
        ("application/json; charset=UTF-8", "application/json", "UTF-8"),
        ('text/plain; charset="latin-1"', "text/plain", "latin-1"),
        ("text/plain", "text/plain", None),
        (None, "", None),
        ("garbage", "", None),
    ],
)
def test_parse_mime_and_charset(content_type: str | None, mime: str, charset: str | None) -> None:
    assert parse_mime(content_type) == mime
    assert content_type_param(content_type, "charset") == charset


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("image/png", PNG_1PX, "image"),
        (None, PNG_1PX, "image"),
        ("application/octet-stream", PNG_1PX, "image"),
        ("image/svg+xml", b"<svg/>", "text"),
        ("application/octet-stream", bytes(range(256)), "binary"),
        ("application/pdf", b"%PDF-1.7 ...", "binary"),
        ("audio/mpeg", b"ID3", "binary"),
        (None, b"\x00\x01\x02\x03binary", "binary"),
        (None, "żółw".encode(), "text"),
        ("application/octet-stream", b"plain text after all", "text"),
        ("application/json", b'{"a": 1}', "text"),
        ("text/plain; charset=latin-1", "café".encode("latin-1"), "text"),
        (None, b"", "text"),
        (None, "\ufeffhello".encode("utf-16"), "text"),
    ],
)
def test_body_kind(content_type: str | None, body: bytes, expected: str) -> None:
    assert body_kind(content_type, body) == expected


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("café".encode(), "text/plain", "café"),
        ("café".encode("latin-1"), "text/plain; charset=ISO-8859-1", "café"),
        ("\ufeffbom".encode(), None, "bom"),
        ("hi".encode("utf-16"), None, "hi"),
        (b"\xff ok", None, "\ufffd ok"),
        (b"ok", "text/plain; charset=no-such-charset", "ok"),
    ],
)
def test_decode_text(body: bytes, content_type: str | None, expected: str) -> None:
    assert decode_text(body, content_type) == expected


@pytest.mark.parametrize(
    ("data", "content_type", "exact", "expected"),
    [
        (b"", "image/png", False, ""),
        (b"", None, True, ""),
        (b'{"a": 1}', "application/json", False, '{"a": 1}'),
        (PNG_1PX, "image/png", False, None),
        (PNG_1PX, None, True, None),
        # shown: the label says image, so it is not shown as text; stood in for: the bytes decide, so a token
        # in a body the server mislabelled is still read (and masked) as text
        (b'{"access_token": "abc"}', "image/png", False, None),
        (b'{"access_token": "abc"}', "image/png", True, '{"access_token": "abc"}'),
        (b"\xff ok", "text/plain", False, "\ufffd ok"),
        (b"\xff ok", "text/plain", True, None),
        ("café".encode("latin-1"), "text/plain; charset=latin-1", False, "café"),
        ("café".encode("latin-1"), "text/plain; charset=latin-1", True, "café"),
        ("café".encode(), "text/plain; charset=no-such-charset", True, "café"),
        ("\ufeffbom".encode(), None, False, "bom"),
        ("\ufeffbom".encode(), None, True, "\ufeffbom"),  # kept: the text encodes back to the same bytes
        ("hi".encode("utf-16"), None, False, "hi"),
        ("hi".encode("utf-16"), None, True, None),
        (b"a\x00b", "text/plain", True, None),
    ],
)
def test_body_text_shows_or_stands_in(data: bytes, content_type: str | None, exact: bool,
                                      expected: str | None) -> None:
    assert body_text(data, content_type, exact=exact) == expected


def test_server_message_reads_a_body_that_starts_with_a_bom() -> None:
    body = codecs.BOM_UTF8 + _j({"error": "invalid_token", "error_description": "The token expired."})
    found = server_message(body, "application/json")
    assert found is not None and found.code == "invalid_token" and found.message == "The token expired."


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        ("text/plain; charset=utf-8", "utf-8"),
        ('text/plain; charset="ISO-8859-1"', "ISO-8859-1"),
        ("text/plain; charset=windows-1252", "windows-1252"),
        ("text/plain", None),
        ("text/plain; charset=no-such-charset", None),
        # Python codecs that are not character sets
        ("text/plain; charset=base64", None),
        ("text/plain; charset=rot13", None),
        ("text/plain; charset=zlib", None),
        ("text/plain; charset=idna", None),
        ("text/plain; charset=undefined", None),
        ("text/plain; charset=unicode_escape", None),
        ("text/plain; charset=raw-unicode-escape", None),
        ("text/plain; charset=punycode", None),
    ],
)
def test_charset_of(content_type: str, charset: str | None) -> None:
    assert charset_of(content_type) == charset


@pytest.mark.parametrize("charset", ["base64", "idna", "undefined", "unicode_escape", "punycode", "zlib"])
def test_a_charset_that_is_not_one_never_breaks_decoding(charset: str) -> None:
    ctype = f"application/json; charset={charset}"
    data = b'{"a": "\\u0041 caf\xc3\xa9 \xff"}'
    assert decode_text(data, ctype) == '{"a": "\\u0041 café \ufffd"}'
    assert body_text(data, ctype) == '{"a": "\\u0041 café \ufffd"}'
    assert body_text(data, ctype, exact=True) is None  # not UTF-8 either: the bytes are kept, not guessed
    assert body_text(data.replace(b"\xff", b""), ctype, exact=True) == '{"a": "\\u0041 café "}'
    assert server_message(b"Unauthorized: " + data, f"text/plain; charset={charset}") is not None


@pytest.mark.parametrize(("data", "content_type", "limit", "expected"), [
    (b"a" * 100, None, 99, True),  # ASCII UTF-8: a character a byte
    (b"a" * 100, None, 100, False),
    ("é".encode() * 100, None, 49, True),  # at least a quarter of a non-ASCII megabyte's bytes
    ("é".encode() * 100, None, 60, False),  # unsure (it is 100 characters): the caller decodes to find out
    (codecs.BOM_UTF8 + b"a" * 100, None, 90, True),
    (codecs.BOM_UTF8 + b"a" * 100, None, 100, False),
    ("é".encode("latin-1") * 100, "text/plain; charset=latin-1", 99, True),  # a character a byte
    ("a".encode("utf-16") * 100, "text/plain; charset=utf-16", 10, False),  # not told without decoding
    (b"a" * 100, "text/plain; charset=shift_jis", 10, False),
    (b"", None, 0, False),
])
def test_decodes_longer_than_is_sure_or_says_no(data: bytes, content_type: str | None, limit: int,
                                                 expected: bool) -> None:
    assert decodes_longer_than(data, content_type, limit, piece_bytes=7) is expected


@given(st.binary(max_size=200), st.integers(min_value=0, max_value=220),
       st.sampled_from([None, "text/plain; charset=utf-8", "text/plain; charset=cp1252", "text/plain; charset=utf-16"]))
@settings(max_examples=300, deadline=None)
def test_decodes_longer_than_never_says_yes_wrongly(data: bytes, limit: int, content_type: str | None) -> None:
    if decodes_longer_than(data, content_type, limit, piece_bytes=16):
        assert len(decode_text(data, content_type)) > limit
