"""Between the editor's spec and a saved request: templates, edits kept on their base, secrets lifted into
{{variables}}, substitution of a composed spec."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from inspector.core.collections.capture import (
    Keep,
    lift_literal_secrets,
    saved_from_spec,
    spec_has_variables,
    split_url,
    substitute_spec,
    template_spec,
)
from inspector.core.collections.model import BodyField, Param, SavedBody, SavedRequest
from inspector.core.collections.secrecy import request_literal_secrets
from inspector.core.collections.store import read_request
from inspector.core.request import Body, FormField, Header, RequestSpec
from inspector.core.variables import Substitution, VariableScope

REPO = Path(__file__).resolve().parents[3]
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJl"


def test_every_demo_request_comes_back_unchanged_through_the_editor() -> None:
    files = [p for p in (REPO / "resources" / "collections" / "demo").rglob("*.toml")
             if p.name not in ("folder.toml", "collection.toml") and "environments" not in p.parts]
    assert len(files) > 40
    for path in files:
        saved = read_request(path)
        assert saved_from_spec(template_spec(saved), base=saved) is saved


def test_the_template_keeps_variables_readable_and_disabled_params_survive_an_edit() -> None:
    saved = SavedRequest("x", url="{{base_url}}/a", params=(
        Param("tenant", "{{tenant}}"), Param("off", "1", False), Param("q", "a b&c")))
    spec = template_spec(saved)
    assert spec.url == "{{base_url}}/a?tenant={{tenant}}&q=a%20b%26c"
    edited = saved_from_spec(replace(spec, url=spec.url + "&page=2"), base=saved)
    assert edited.url == "{{base_url}}/a"
    assert edited.params == (Param("tenant", "{{tenant}}"), Param("off", "1", False), Param("q", "a b&c"),
                             Param("page", "2"))


def test_what_the_editor_does_not_show_is_kept_from_the_base() -> None:
    base = SavedRequest(
        "Upload", "POST", "{{base_url}}/up",
        body=SavedBody("multipart", fields=(
            BodyField("doc", file="files/a.pdf", content_type="application/pdf"), BodyField("note", "hi"))),
        vars={"id": "7"}, expect_status=201, description="d", profile="Team",
        document={"team_note": "kept"},
    )
    spec = template_spec(base)
    fields = (FormField("doc", "files/a.pdf", True), FormField("note", "hi"))
    assert spec.body == Body("multipart", fields=fields)
    edited = saved_from_spec(replace(spec, headers=(Header("X-A", "1"),)), base=base)
    assert edited.body.fields[0] == BodyField("doc", "", "files/a.pdf", True, "application/pdf")
    assert (edited.vars, edited.expect_status, edited.description, edited.profile) == ({"id": "7"}, 201, "d",
                                                                                        "Team")
    assert edited.to_document()["team_note"] == "kept"
    assert saved_from_spec(spec, base=base, profile="").profile == ""
    assert saved_from_spec(spec, base=base, profile=Keep.KEEP).profile == "Team"


def test_a_body_sent_from_a_file_is_left_alone() -> None:
    base = SavedRequest("F", "PUT", "http://h/", body=SavedBody("file", file="payload.bin"))
    spec = template_spec(base)
    assert spec.body == Body()
    edited = saved_from_spec(replace(spec, method="POST"), base=base)
    assert edited.method == "POST" and edited.body == base.body


@pytest.mark.parametrize(
    ("spec", "variables", "where"),
    [
        (RequestSpec(url="http://h/", headers=(Header("Authorization", f"Bearer {JWT}"),)),
         ["authorization"], "header 'Authorization'"),
        (RequestSpec(url="http://h/?api_key=abcdef123456"), ["api_key"], "query parameter 'api_key'"),
        (RequestSpec(url="http://u:hunter22@h/"), ["password"], "the password in the URL"),
        (RequestSpec(url="http://h/", headers=(Header("Cookie", "sid=abc123"),)), ["cookie"],
         "header 'Cookie'"),
        (RequestSpec(url="http://h/", headers=(Header("X-API-Key", "k-123456"),)), ["x_api_key"],
         "header 'X-API-Key'"),
        (RequestSpec("POST", "http://h/", body=Body("json", '{"password": "s3cret!", "user": "ann"}')),
         ["password"], "the body's 'password'"),
        (RequestSpec("POST", "http://h/", body=Body("form", fields=(FormField("client_secret", "xyz123"),))),
         ["client_secret"], "body field 'client_secret'"),
    ],
)
def test_literal_secrets_become_variables(spec: RequestSpec, variables: list[str], where: str) -> None:
    saved = saved_from_spec(spec, name="Captured")
    assert request_literal_secrets(saved)
    lifted, names = lift_literal_secrets(saved)
    assert [n.variable for n in names] == variables
    assert names[0].where == where
    assert request_literal_secrets(lifted) == []
    text = repr(lifted)
    for secret in (JWT, "abcdef123456", "hunter22", "abc123", "k-123456", "s3cret!", "xyz123"):
        assert secret not in text
    assert '"user": "ann"' in lifted.body.text or lifted.body.kind != "json"


def test_the_same_secret_twice_is_one_variable() -> None:
    saved = saved_from_spec(RequestSpec(url=f"http://h/?token={JWT}", headers=(
        Header("Authorization", f"Bearer {JWT}"),)), name="x")
    lifted, names = lift_literal_secrets(saved)
    assert {n.variable for n in names} == {"authorization"}
    assert lifted.params[0].value == "{{authorization}}"


def test_split_url() -> None:
    assert split_url("{{b}}/x?a=1&c=%7B%7Bv%7D%7D#f") == ("{{b}}/x#f", [("a", "1"), ("c", "{{v}}")])
    assert split_url("http://h/x") == ("http://h/x", [])


def test_substitute_a_composed_spec_field_by_field() -> None:
    scope = VariableScope(environment={"base_url": "http://h", "who": "ann"}, environment_name="dev")
    spec = RequestSpec("POST", "{{base_url}}/u?n=%7B%7Bwho%7D%7D", (Header("X-Who", "{{who}}"),),
                       Body("form", fields=(FormField("name", "{{who}}"), FormField("f", "{{missing}}"))))
    assert spec_has_variables(spec) and not spec_has_variables(RequestSpec(url="http://h/"))
    sub = Substitution(scope)
    out = substitute_spec(spec, sub)
    assert out.url == "http://h/u?n=ann"
    assert out.headers == (Header("X-Who", "ann"),)
    assert out.body.fields[0].value == "ann" and out.body.fields[1].value == "{{missing}}"
    assert sub.unresolved == ["missing"]
