"""RequestSpec validation, header lines, and the URL <-> parameter table round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.core.errors import RequestError
from inspector.core.request import (
    Body,
    Header,
    RequestSpec,
    effective_content_type,
    parse_header_line,
    query_params,
    url_with_params,
)


@pytest.mark.parametrize(
    ("line", "name", "value"),
    [
        ("Accept: application/json", "Accept", "application/json"),
        ("X-Empty:", "X-Empty", ""),
        ("Authorization:   Bearer abc  ", "Authorization", "Bearer abc"),
        ("X-Time: 12:30:00", "X-Time", "12:30:00"),
    ],
)
def test_header_lines(line: str, name: str, value: str) -> None:
    assert parse_header_line(line) == Header(name, value)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Accept application/json", "has no colon: write it as 'Name: value'"),
        (": value", "has no name before the colon"),
        ("Bad Name: x", "contains characters a header name cannot hold"),
    ],
)
def test_bad_header_lines(line: str, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        parse_header_line(line)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (RequestSpec(method="GE T", url="http://h/"), "'GE T' is not a valid HTTP method"),
        (RequestSpec(url="http://h/", body=Body("json", "{bad")), "The JSON body is not valid JSON"),
        (RequestSpec(url="http://h/", headers=(Header("", "orphan"),)), "Header row 1 has a value but no name"),
        (RequestSpec(url="http://h/", timeout_s=0), "The timeout must be more than 0 seconds"),
    ],
)
def test_validation_messages(spec: RequestSpec, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        spec.validate()


def test_disabled_rows_are_not_validated() -> None:
    RequestSpec(url="http://h/", headers=(Header("Bad Name", "x", enabled=False),)).validate()


def test_params_round_trip() -> None:
    url = "https://api.example.com/items?q=a%20b&empty=&tag=1&tag=2#frag"
    params = query_params(url)
    assert params == [("q", "a b"), ("empty", ""), ("tag", "1"), ("tag", "2")]
    assert url_with_params(url, params) == url
    assert url_with_params(url, []) == "https://api.example.com/items#frag"


@given(st.lists(st.tuples(st.text(min_size=1), st.text()), max_size=6))
def test_any_params_survive_the_url(params: list[tuple[str, str]]) -> None:
    url = url_with_params("http://h/p", params)
    assert query_params(url) == params


def test_content_type_follows_the_body_unless_the_user_set_one() -> None:
    assert effective_content_type(RequestSpec(body=Body("json", "{}"))) == "application/json"
    assert effective_content_type(RequestSpec(body=Body("form"))) == "application/x-www-form-urlencoded"
    user = RequestSpec(body=Body("json", "{}"), headers=(Header("content-type", "application/problem+json"),))
    assert effective_content_type(user) == "application/problem+json"
    assert effective_content_type(RequestSpec()) is None
