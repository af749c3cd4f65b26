"""The demo requests the window opens with: valid specs, the advertised statuses, a 401 and a 403 first."""

from __future__ import annotations

import re

import pytest
import requests

from inspector.core.request import RequestSpec
from inspector.demo.requests import demo_requests


def _send(spec: RequestSpec) -> requests.Response:
    """A plain requests call for a spec (json and form bodies), following redirects like the app does."""
    kwargs: dict = {"headers": dict(spec.enabled_headers()), "timeout": 30}
    if spec.body.kind == "json":
        kwargs["data"] = spec.body.text.encode()
        kwargs["headers"]["Content-Type"] = "application/json"
    elif spec.body.kind == "form":
        kwargs["data"] = [(f.name, f.value) for f in spec.body.fields if f.enabled]
    return requests.request(spec.method, spec.url, **kwargs)


def test_a_401_and_a_403_come_first(demo_url: str) -> None:
    titles = [title for title, _ in demo_requests(demo_url)]
    assert titles[0].startswith("401") and titles[1].startswith("403")


def test_titles_are_unique_and_specs_valid(demo_url: str) -> None:
    items = demo_requests(demo_url)
    assert len({t for t, _ in items}) == len(items)
    for _, spec in items:
        spec.validate()
        assert spec.url.startswith(demo_url)


def test_the_basics_are_all_there(demo_url: str) -> None:
    paths = {
        spec.url.removeprefix(demo_url).split("?")[0] + ("" if spec.method == "GET" else f" {spec.method}")
        for _, spec in demo_requests(demo_url)
    }
    for needed in (
        "/json",
        "/echo POST",
        "/large",
        "/image.png",
        "/slow",
        "/redirect/5",
        "/api/invoices",
        "/api/invoices POST",
        "/api/moved",
        "/scenario/proxy-auth",
        "/scenario/too-many-requests",
        "/scenario/rate-limited",
        "/api/transfers",
        "/api/dpop/invoices",
        "/api/skewed/invoices",
    ):
        assert needed in paths


def test_each_request_gets_the_status_its_title_promises(demo_url: str) -> None:
    checked = 0
    for title, spec in demo_requests(demo_url):
        if "/slow" in spec.url:
            assert "s=5" in spec.url
            continue
        m = re.match(r"(\d{3}) ", title)
        assert m, title
        assert _send(spec).status_code == int(m.group(1)), title
        checked += 1
    assert checked > 40


@pytest.mark.parametrize("index", [0, 1])
def test_tokens_are_minted_at_call_time(demo_url: str, index: int) -> None:
    first = demo_requests(demo_url)[index][1].header("Authorization")
    second = demo_requests(demo_url)[index][1].header("Authorization")
    assert first and second and first != second
