"""From a saved request to the RequestSpec that is sent: params, bodies, content types, files, profiles."""

from __future__ import annotations

import random
from pathlib import Path
from types import MappingProxyType

import pytest

from inspector.core.collections.model import BodyField, Collection, Folder, Param, SavedBody, SavedRequest
from inspector.core.collections.resolve import resolve_profile, resolve_request
from inspector.core.errors import RequestError
from inspector.core.profiles.model import Expect, new_profile
from inspector.core.request import Body, FormField, Header
from inspector.core.variables import Builtins, Substitution, UnresolvedVariable, VariableScope

COLLECTION = Collection(
    name="C", root=Path("/c"), vars={"base_url": "https://api.example.com", "who": "grace"}
)
BUILTINS = Builtins(rng=random.Random(3))


def resolve(request: SavedRequest, parents: tuple[Folder, ...] = ()) -> object:
    return resolve_request(COLLECTION, parents, request, builtins=BUILTINS)[0]


def test_params_join_the_url_and_disabled_ones_stay_out() -> None:
    request = SavedRequest(
        name="R",
        url="{{base_url}}/items?sort=asc",
        params=(Param("who", "{{who}}"), Param("debug", "1", enabled=False), Param("q", "a b&c")),
    )
    spec = resolve(request).spec  # type: ignore[attr-defined]
    assert spec.url == "https://api.example.com/items?sort=asc&who=grace&q=a%20b%26c"


def test_disabled_headers_stay_disabled_and_content_type_comes_from_the_body() -> None:
    request = SavedRequest(
        name="R",
        method="PUT",
        url="{{base_url}}/r",
        headers=(Header("X-Off", "1", False),),
        body=SavedBody("text", "<a/>", content_type="application/xml"),
    )
    spec = resolve(request).spec  # type: ignore[attr-defined]
    assert spec.headers == (Header("X-Off", "1", False), Header("Content-Type", "application/xml"))
    assert spec.body == Body("text", "<a/>")
    mine = SavedRequest(
        name="R",
        url="u",
        headers=(Header("content-type", "text/x-mine"),),
        body=SavedBody("text", "x", content_type="application/xml"),
    )
    assert [h.value for h in resolve(mine).spec.headers] == ["text/x-mine"]  # type: ignore[attr-defined]


def test_file_bodies_and_multipart_files_are_relative_to_the_request(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    request = SavedRequest(
        name="R",
        method="POST",
        url="{{base_url}}/up",
        path=tmp_path / "r.toml",
        body=SavedBody("file", file="data.csv"),
    )
    spec = resolve(request).spec  # type: ignore[attr-defined]
    assert (
        spec.body == Body("text", "a,b\n1,2\n") and spec.header("Content-Type") == "application/octet-stream"
    )
    multi = SavedRequest(
        name="M",
        method="POST",
        url="{{base_url}}/up",
        path=tmp_path / "m.toml",
        body=SavedBody("multipart", fields=(BodyField("f", file="data.csv"), BodyField("who", "{{who}}"))),
    )
    assert resolve(multi).spec.body.fields == (  # type: ignore[attr-defined]
        FormField("f", str(tmp_path / "data.csv"), True),
        FormField("who", "grace"),
    )
    missing = SavedRequest(
        name="Gone", url="{{base_url}}/", path=tmp_path / "g.toml", body=SavedBody("file", file="nope.bin")
    )
    with pytest.raises(RequestError, match="nope.bin of the request 'Gone' cannot be read"):
        resolve(missing)


def test_an_unresolved_variable_anywhere_stops_the_request() -> None:
    request = SavedRequest(name="R", url="{{base_url}}/x", headers=(Header("X", "{{nope}}"),))
    with pytest.raises(UnresolvedVariable, match=r"\{\{nope\}\}"):
        resolve(request)


def test_folder_variables_sit_between_the_request_and_the_environment() -> None:
    outer = Folder(name="Outer", vars=MappingProxyType({"who": "outer", "x": "o"}))
    inner = Folder(name="Inner", vars=MappingProxyType({"who": "inner"}))
    request = SavedRequest(name="R", url="{{base_url}}/{{who}}/{{x}}")
    assert resolve(request, (outer, inner)).spec.url == "https://api.example.com/inner/o"  # type: ignore[attr-defined]


def test_a_profiles_non_secret_fields_take_variables_and_its_secrets_stay_references() -> None:
    profile = new_profile(
        "P",
        "oauth2-client-credentials",
        Path("/p"),
        folder_kind="team",
        credentials={
            "token_url": "{{auth_url}}/token",
            "client_id": "{{client}}",
            "client_secret": "${secret:k}",
        },
        expect=Expect(audience="{{aud}}"),
    )
    sub = Substitution(VariableScope(environment={"auth_url": "https://login", "client": "c1", "aud": "api"}))
    resolved = resolve_profile(profile, sub)
    assert dict(resolved.credentials) == {
        "token_url": "https://login/token",
        "client_id": "c1",
        "client_secret": "${secret:k}",
    }
    assert resolved.expect.audience == "api"
