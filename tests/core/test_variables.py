"""{{variables}}: resolution order, built-ins, secrets, loops, unresolved names, and the editor's spans."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspector.core.profiles.secrets import FileSecretStore, Resolver
from inspector.core.variables import (
    Builtins,
    Substitution,
    UnresolvedVariable,
    VariableError,
    VariableScope,
    find_variables,
    variable_names,
)

FIXED = Builtins(clock=lambda: datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC), rng=random.Random(7))

SCOPE = VariableScope(
    overrides={"who": "override"},
    request={"who": "request", "id": "inv_1"},
    folders=({"who": "inner", "page": "2"}, {"who": "outer", "depth": "outer"}),
    environment={"who": "environment", "base_url": "https://staging.example.com", "tenant": "t-42"},
    environment_name="staging",
    collection={"who": "collection", "tenant": "t-1", "region": "eu", "greeting": "hello {{tenant}}"},
    request_name="Create invoice",
)


@pytest.mark.parametrize(
    ("scope_changes", "expected"),
    [
        ({}, "override"),
        ({"overrides": {}}, "request"),
        ({"overrides": {}, "request": {}}, "inner"),
        ({"overrides": {}, "request": {}, "folders": ({}, {"who": "outer"})}, "outer"),
        ({"overrides": {}, "request": {}, "folders": ()}, "environment"),
        ({"overrides": {}, "request": {}, "folders": (), "environment": {}}, "collection"),
    ],
)
def test_the_first_place_that_sets_a_name_wins(scope_changes: dict, expected: str) -> None:
    from dataclasses import replace

    sub = Substitution(replace(SCOPE, **scope_changes), builtins=FIXED)
    assert sub.text("{{who}}") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{base_url}}/api/{{ id }}", "https://staging.example.com/api/inv_1"),
        ("{{tenant}}", "t-42"),  # the environment over the collection
        ("{{region}}", "eu"),
        ("{{greeting}}", "hello t-42"),  # a value may hold variables, looked up in the same scope
        ("no variables", "no variables"),
        ("{{$timestamp}}", "1714564800"),
        ("{{$isoTimestamp}}", "2024-05-01T12:00:00.123Z"),
        ("{ {not} } {{}} {{ }}", "{ {not} } {{}} {{ }}"),
    ],
)
def test_substitution_table(text: str, expected: str) -> None:
    sub = Substitution(SCOPE, builtins=FIXED)
    assert sub.text(text) == expected
    sub.check()


def test_uuid_and_random_int_are_fresh_each_time() -> None:
    sub = Substitution(SCOPE, builtins=Builtins(rng=random.Random(1)))
    first, second = sub.text("{{$uuid}}"), sub.text("{{$uuid}}")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)
    assert first != second
    assert 0 <= int(sub.text("{{$randomInt}}")) <= 1000
    assert re.fullmatch(r"[0-9a-f-]{36}", sub.text("{{$guid}}"))


def test_unresolved_names_stop_the_send_with_a_message_naming_them() -> None:
    sub = Substitution(SCOPE, builtins=FIXED)
    assert (
        sub.text("{{base_url}}/{{missing}}/{{$nope}}/{{missing}}")
        == "https://staging.example.com/{{missing}}/{{$nope}}/{{missing}}"
    )
    with pytest.raises(UnresolvedVariable) as info:
        sub.check()
    message = str(info.value)
    assert "{{missing}}" in message and "{{$nope}}" in message
    assert "'Create invoice'" in message and "environment 'staging'" in message
    assert info.value.names == ("missing", "$nope") and info.value.environment == "staging"


def test_a_loop_is_an_error_not_a_hang() -> None:
    scope = VariableScope(collection={"a": "{{b}}", "b": "x{{a}}"}, request_name="R")
    with pytest.raises(VariableError, match=r"loop \(\{\{a\}\} -> \{\{b\}\} -> \{\{a\}\}\)"):
        Substitution(scope).text("{{a}}")


def test_secret_references_resolve_at_send_time_and_are_collected(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path)
    store.set("billing-key", "k_live_0123456789")
    resolver = Resolver(store, env={"TENANT_TOKEN": "env-token-value"})
    scope = VariableScope(
        environment={
            "api_key": "${secret:billing-key}",
            "t": "${env:TENANT_TOKEN}",
            "password_hint": "plain-but-named-secret",
        },
        environment_name="production",
        request_name="R",
    )
    sub = Substitution(scope, resolver)
    assert (
        sub.text("{{api_key}}:{{t}}:{{password_hint}}")
        == "k_live_0123456789:env-token-value:plain-but-named-secret"
    )
    sub.check()
    assert set(sub.secrets) == {"k_live_0123456789", "env-token-value", "plain-but-named-secret"}


def test_a_missing_secret_names_the_variable_the_reference_and_the_environment(tmp_path: Path) -> None:
    resolver = Resolver(FileSecretStore(tmp_path), env={})
    scope = VariableScope(
        environment={"api_key": "${secret:nowhere}"},
        environment_name="production",
        request_name="List invoices",
    )
    sub = Substitution(scope, resolver)
    sub.text("{{api_key}}")
    with pytest.raises(VariableError) as info:
        sub.check()
    message = str(info.value)
    assert "{{api_key}}" in message and "${secret:nowhere}" in message
    assert "environment 'production'" in message and "'List invoices'" in message


def test_without_a_resolver_a_reference_is_never_sent_as_text() -> None:
    sub = Substitution(VariableScope(collection={"k": "${env:X}"}))
    assert sub.text("{{k}}") == "{{k}}"
    with pytest.raises(VariableError, match="nothing here can resolve secrets"):
        sub.check()


def test_spans_for_the_editor_mark_each_variable_with_its_status() -> None:
    scope = VariableScope(
        environment={"base_url": "https://x", "api_key": "${secret:k}", "token": "abcdef123456789"},
        collection={"nested": "{{gone}}"},
        environment_name="staging",
    )
    text = "{{base_url}}/{{api_key}}/{{token}}/{{gone}}/{{$uuid}}/{{nested}}"
    spans = find_variables(text, scope)
    assert [(s.name, s.status) for s in spans] == [
        ("base_url", "resolved"),
        ("api_key", "secret"),
        ("token", "secret"),
        ("gone", "unresolved"),
        ("$uuid", "builtin"),
        ("nested", "unresolved"),
    ]
    assert [text[s.start : s.end] for s in spans][0] == "{{base_url}}"
    shown = {s.name: s.shown for s in spans}
    assert shown["base_url"] == "https://x"
    assert shown["api_key"] == "${secret:k}"  # a reference is shown as written, never resolved here
    assert shown["token"] is not None and "abcdef123456789" not in shown["token"]  # masked
    assert {s.name: s.source for s in spans}["api_key"] == "environment"


_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,12}", fullmatch=True)
_PLAIN = st.text(st.characters(blacklist_characters="{}"), max_size=30)


@given(text=_PLAIN)
def test_text_without_braces_is_never_changed(text: str) -> None:
    assert Substitution(SCOPE).text(text) == text


@given(values=st.dictionaries(_NAME, _PLAIN, min_size=1, max_size=6), glue=_PLAIN)
def test_every_set_name_is_replaced_by_its_value(values: dict[str, str], glue: str) -> None:
    text = glue.join(f"{{{{{name}}}}}" for name in values)
    sub = Substitution(VariableScope(environment=values))
    assert sub.text(text) == glue.join(values.values())
    assert sub.unresolved == []
    assert variable_names(text) == list(values)
