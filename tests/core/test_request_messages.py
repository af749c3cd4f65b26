"""Messages about bad input quote what was typed without repeating a secret (URL user-info, secret query
values, header values), in core validation and in pasted curl commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.core.errors import ExportError, RequestError
from inspector.core.export import parse_curl
from inspector.core.request import (
    Header,
    RequestSpec,
    parse_header_line,
    shown_header_line,
    shown_url,
    validate_header,
    validate_url,
)

SECRET = "hunter2-SECRET-0123456789"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://api.example.com/items?q=a b", "https://api.example.com/items?q=a b"),
        (f"https://user:{SECRET}@host/a b", "https://user:…@host/a b"),
        (f"https://{SECRET}@host/", "https://hunter…@host/"),
        (f"user:{SECRET}@host/x", "user:…@host/x"),
        (f"https://h/x y?api_key={SECRET}&q=1", "https://h/x y?api_key=hunter…&q=1"),
        (f"https://h/?access_token={SECRET}#frag", "https://h/?access_token=hunter…#frag"),
        (f"https://h/cb#access_token={SECRET}&state=1", "https://h/cb#access_token=hunter…&state=1"),
        (f"https://u:{SECRET}@[::1/", "https://u:…@[::1/"),  # cannot be parsed, still masked
    ],
)
def test_shown_url_masks_credentials_and_keeps_the_rest(url: str, shown: str) -> None:
    assert shown_url(url) == shown


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (f"Authorization Bearer {SECRET}", "Authorization Bearer hunter…"),
        ("Authorization Bearer abc", "Authorization Bearer …"),
        (f"Authorization: Bearer {SECRET}", "Authorization: Bearer hunter…"),
        (f"X-Api-Key {SECRET}", "X-Api-Key hunter…"),
        (f"Bearer {SECRET}", "Bearer hunter…"),
        (SECRET, "hunter…"),
        ("NoColonHere", "NoColonHere"),
        ("Accept application/json", "Accept applic…"),
    ],
)
def test_shown_header_line_masks_the_value(line: str, shown: str) -> None:
    assert shown_header_line(line) == shown


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"https://user:{SECRET}@api.example.com/a b", "contains a space"),
        (f"https://api.example.com/a b?api_key={SECRET}", "contains a space"),
        (f"https://api.example.com/a b?access_token={SECRET}", "contains a space"),
        (f"ftp://user:{SECRET}@api.example.com/", "only http and https"),
        (f"https://user:{SECRET}@api.example.com:99999/", "cannot be parsed: its port"),
        (f"https://user:{SECRET}@[::1/", "cannot be parsed: its IPv6 address"),
        (f"https://user:{SECRET}@exa\uff03mple.com/", "cannot be parsed"),
        (f"user:{SECRET}@api.example.com/x", "only http and https"),
        (f"https://user:{SECRET}@/x", "has no host name"),
    ],
)
def test_url_messages_never_repeat_the_secret(url: str, message: str) -> None:
    with pytest.raises(RequestError) as info:
        validate_url(url)
    assert message in str(info.value)
    assert SECRET not in str(info.value) and SECRET[8:] not in str(info.value)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (f"Authorization Bearer {SECRET}", "'Authorization Bearer hunter…' has no colon"),
        (f"X-Api-Key {SECRET}", "'X-Api-Key hunter…' has no colon"),
        (f": Bearer {SECRET}", "has no name before the colon"),
        (f"Bearer {SECRET}: x", "contains characters a header name cannot hold"),
    ],
)
def test_header_line_messages_never_repeat_the_secret(line: str, message: str) -> None:
    with pytest.raises(RequestError) as info:
        parse_header_line(line)
    assert message in str(info.value) and SECRET not in str(info.value)


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x07", "\x7f"])
def test_control_characters_in_a_header_value_are_refused(char: str) -> None:
    with pytest.raises(RequestError, match=f"U\\+{ord(char):04X}, which a header cannot hold"):
        validate_header("X-Note", f"a{char}b")
    with pytest.raises(RequestError, match="control character"):
        RequestSpec(url="http://h/", headers=(Header("X-Note", f"a{char}b"),)).validate()
    validate_header("X-Note", "tab\tis fine")


@pytest.mark.parametrize(
    "command",
    [
        f"curl -H 'Authorization Bearer {SECRET}' https://api.example.com/",
        f"curl -H 'X-Api-Key {SECRET}' https://api.example.com/",
        f"curl 'https://user:{SECRET}@api.example.com/a b'",
        f"curl 'https://api.example.com/a b?api_key={SECRET}'",
        f"curl 'ftp://user:{SECRET}@api.example.com/'",
        f"curl -F {SECRET} https://api.example.com/",
    ],
)
def test_curl_errors_never_repeat_the_secret(command: str) -> None:
    with pytest.raises(ExportError) as info:
        parse_curl(command)
    assert SECRET not in str(info.value) and SECRET[8:] not in str(info.value)


@pytest.mark.parametrize(
    ("command", "warning"),
    [
        (f"curl -U proxyuser:{SECRET} https://x.test/", "-U proxyu… was not applied"),
        (f"curl -x http://proxyuser:{SECRET}@proxy:3128 https://x.test/", "-x http://proxyuser:…@proxy:3128"),
        (f"curl --proxy-header 'Proxy-Authorization: Basic {SECRET}' https://x.test/", "Basic hunter…"),
        (f"curl -u {SECRET} https://x.test/", "-u 'hunter…' has no password"),
        (f"curl --my-token {SECRET} https://x.test/", "--my-token hunter… is not understood"),
        (f"curl https://x.test/ 'https://y.test/?api_key={SECRET}'", "https://y.test/?api_key=hunter…"),
    ],
)
def test_curl_warnings_never_repeat_the_secret(command: str, warning: str) -> None:
    result = parse_curl(command)
    said = " ".join(result.warnings + result.notes)
    assert warning in said, said
    assert SECRET not in said and SECRET[8:] not in said


def test_curl_header_file_name_with_a_nul_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="contains a NUL character"):
        parse_curl("curl -H @head\x00ers.txt https://x.test/", base_dir=tmp_path)
    with pytest.raises(ExportError, match="contains a NUL character"):
        parse_curl("curl -d @bo\x00dy.json https://x.test/", base_dir=tmp_path)


def test_curl_header_file_with_a_nul_byte_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "headers.txt").write_bytes(b"X-Note: a\x00b\nAccept: text/plain\n")
    with pytest.raises(ExportError, match="'X-Note' contains the control character U\\+0000"):
        parse_curl("curl -H @headers.txt https://x.test/", base_dir=tmp_path, read_files=True)
