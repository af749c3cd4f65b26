"""Literal types at the seams: verdicts, severities, error kinds, hop roles and body kinds are closed sets,
the same as the specs name, and values from outside are read into them in one way."""

from __future__ import annotations

from typing import get_args

import pytest

from inspector.core.diagnosis import SEVERITIES, VERDICTS, Severity, Verdict
from inspector.core.errors import ErrorKind, RequestError
from inspector.core.exchange import ERROR_KINDS, HOP_ROLES, HopRole, as_error_kind, as_hop_role
from inspector.core.request import BODY_KINDS, Body, BodyKind, RequestSpec, as_body_kind


def test_the_literal_sets_are_the_specs_own() -> None:
    assert VERDICTS == get_args(Verdict) == (
        "ok", "authentication", "authorization", "step-up", "proxy-authentication", "not-credential-related",
        "transport-error",
    )  # fmt: skip
    assert SEVERITIES == get_args(Severity) == ("error", "warning", "info")
    assert ERROR_KINDS == get_args(ErrorKind) == (
        "connection", "dns", "timeout", "tls", "too-large", "too-many-redirects", "invalid-url", "cancelled",
        "other",
    )  # fmt: skip
    assert HOP_ROLES == get_args(HopRole) and "request" in HOP_ROLES and "token" in HOP_ROLES
    assert BODY_KINDS == get_args(BodyKind) == ("none", "json", "text", "form", "multipart")


@pytest.mark.parametrize(
    ("value", "kind"),
    [("json", "json"), ("multipart", "multipart"), ("xml", "none"), (None, "none"), (3, "none")],
)
def test_a_body_kind_from_outside(value: object, kind: str) -> None:
    assert as_body_kind(value) == kind


def test_an_error_kind_or_a_hop_role_from_outside() -> None:
    assert (
        as_error_kind("tls") == "tls"
        and as_error_kind("quantum") == "other"
        and as_error_kind(None) == "other"
    )
    assert as_hop_role("token") == "token" and as_hop_role("robot") is None


def test_a_body_of_an_unknown_kind_is_still_refused_when_validated() -> None:
    """A kind the type does not allow can still arrive from a file; validate() says so in a sentence."""
    spec = RequestSpec(url="https://api.example.com/", body=Body(kind="xml"))  # type: ignore[arg-type]
    with pytest.raises(RequestError, match="Unknown body kind 'xml'"):
        spec.validate()
