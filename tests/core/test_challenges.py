"""RFC 9110 §11 challenge parsing: real-world lines, the grammar's corners, and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.core.challenges import (
    Challenge,
    ChallengeError,
    parse_challenges,
    parse_challenges_lenient,
    render_challenge,
)


def _shape(challenges: list[Challenge]) -> list[tuple[str, str | None, dict[str, str]]]:
    return [(c.scheme, c.token68, dict(c.params)) for c in challenges]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # RFC 9110 §11.6.1's own example: two challenges in one line, an escaped quote in a value
        (
            ['Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'],
            [("Newauth", None, {"realm": "apps", "type": "1", "title": 'Login to "apps"'}),
             ("Basic", None, {"realm": "simple"})],
        ),
        # RFC 6750 §3 examples
        (['Bearer realm="example"'], [("Bearer", None, {"realm": "example"})]),
        (
            ['Bearer realm="example", error="invalid_token", error_description="The access token expired"'],
            [("Bearer", None, {"realm": "example", "error": "invalid_token",
                               "error_description": "The access token expired"})],
        ),
        # lenient but real: bare scheme, token values, lowercase scheme, uppercase param names
        (["Bearer"], [("Bearer", None, {})]),
        (["Bearer realm=example"], [("Bearer", None, {"realm": "example"})]),
        (['bearer REALM="api", Error="insufficient_scope"'],
         [("bearer", None, {"realm": "api", "error": "insufficient_scope"})]),
        # token68 (Negotiate / NTLM) and a second challenge after it
        (["Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1==, Basic realm=x"],
         [("Negotiate", "YIIGhgYJKoZIhvcSAQICAQBuggZ1==", {}), ("Basic", None, {"realm": "x"})]),
        (["NTLM"], [("NTLM", None, {})]),
        # several lines, several challenges each, kept in order
        (['Basic realm="a"', 'Bearer realm="b", DPoP algs="ES256 PS256"'],
         [("Basic", None, {"realm": "a"}), ("Bearer", None, {"realm": "b"}), ("DPoP", None, {"algs": "ES256 PS256"})]),
        # commas inside quoted values do not split
        (['Bearer realm="a, b", scope="read, write"'], [("Bearer", None, {"realm": "a, b", "scope": "read, write"})]),
        # empty list elements and OWS everywhere the #rule allows
        ([' , Bearer realm = "x" ,, error="e" , '], [("Bearer", None, {"realm": "x", "error": "e"})]),
        (["Bearer, realm=x"], [("Bearer", None, {"realm": "x"})]),
        # an unquoted URL (not a token, but sent by real servers)
        (["Bearer realm=https://api.example.com/, error=invalid_token"],
         [("Bearer", None, {"realm": "https://api.example.com/", "error": "invalid_token"})]),
        # Digest with many params and a quoted empty value
        (['Digest realm="r", qop="auth,auth-int", nonce="abc", opaque="", algorithm=SHA-256'],
         [("Digest", None, {"realm": "r", "qop": "auth,auth-int", "nonce": "abc", "opaque": "",
                            "algorithm": "SHA-256"})]),
        # a repeated parameter keeps its first value
        (['Bearer realm="a", realm="b"'], [("Bearer", None, {"realm": "a"})]),
        # backslash escapes any character
        (['Basic realm="a\\\\b\\c"'], [("Basic", None, {"realm": "a\\bc"})]),
        # AWS and Azure style
        (['Bearer authorization_uri="https://login.microsoftonline.com/t/oauth2/authorize", error="invalid_token"'],
         [("Bearer", None, {"authorization_uri": "https://login.microsoftonline.com/t/oauth2/authorize",
                            "error": "invalid_token"})]),
        # "realm=" alone is a token68 by the grammar, not a parameter without a value
        (["Bearer realm="], [("Bearer", "realm=", {})]),
        ([""], []),
        (["  ,  "], []),
        ([], []),
    ],
)
def test_parse_real_world_lines(lines: list[str], expected: list[tuple[str, str | None, dict[str, str]]]) -> None:
    assert _shape(parse_challenges(lines)) == expected


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('Bearer realm="unclosed', "never closed"),
        ("Bearer realm=a b", "expected ','"),
        ("realm=x", "before any authentication scheme"),
        ("Foo abc==, realm=x", "token68"),
        ("Bearer realm=x, scope=", "no value"),
        ('"Bearer"', "scheme"),
        ("Bearer=x", "before any authentication scheme"),
        ("Bearer;x", "after the scheme"),
        ("Bearer @@@", "token68"),
        ("Basic realm=\"x\"error=\"y\"", "expected ','"),
    ],
)
def test_malformed_lines_raise_challenge_error_naming_the_position(line: str, fragment: str) -> None:
    with pytest.raises(ChallengeError) as info:
        parse_challenges([line])
    assert fragment in str(info.value)
    assert "character" in str(info.value)


def test_lenient_parse_keeps_good_lines_and_reports_bad_ones() -> None:
    challenges, errors = parse_challenges_lenient(['Bearer realm="x', "Basic realm=y"])
    assert _shape(challenges) == [("Basic", None, {"realm": "y"})]
    assert len(errors) == 1 and "never closed" in errors[0]


def test_challenge_helpers_are_case_insensitive() -> None:
    (ch,) = parse_challenges(['bearer Error="invalid_token"'])
    assert ch.is_scheme("Bearer") and ch.is_scheme("BEARER")
    assert ch.param("ERROR") == "invalid_token"
    assert ch.param("scope") is None


@pytest.mark.parametrize(
    ("challenge", "rendered"),
    [
        (Challenge("Bearer"), "Bearer"),
        (Challenge("Negotiate", "abc=="), "Negotiate abc=="),
        (Challenge("Bearer", None, {"realm": 'say "hi"\\'}), 'Bearer realm="say \\"hi\\"\\\\"'),
        (Challenge("Basic", None, {"realm": "a", "charset": "UTF-8"}), 'Basic realm="a", charset="UTF-8"'),
    ],
)
def test_render(challenge: Challenge, rendered: str) -> None:
    assert render_challenge(challenge) == rendered
    assert parse_challenges([rendered]) == [challenge]


@pytest.mark.parametrize(
    "challenge",
    [Challenge("Bad Scheme"), Challenge("X", "not token68!"), Challenge("X", "abc", {"a": "b"}),
     Challenge("X", None, {"bad name": "v"})],
)
def test_render_refuses_what_cannot_be_written(challenge: Challenge) -> None:
    with pytest.raises(ChallengeError):
        render_challenge(challenge)


# ------------------------------------------------------------------------------------------------ properties

TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
tokens = st.text(alphabet=TCHARS, min_size=1, max_size=12)
token68s = st.builds(
    lambda body, pad: body + "=" * pad,
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/", min_size=1, max_size=30),
    st.integers(0, 2),
)
param_values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
params = st.dictionaries(tokens.map(str.lower), param_values, max_size=5)
challenges = st.one_of(
    st.builds(lambda s, t: Challenge(s, t), tokens, token68s),
    st.builds(lambda s, p: Challenge(s, None, p), tokens, params),
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_raises_nothing_but_challenge_error(text: str) -> None:
    try:
        result = parse_challenges([text])
    except ChallengeError:
        return
    assert all(isinstance(c, Challenge) for c in result)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=TCHARS + ' ,="\\\t', max_size=80))
def test_grammar_alphabet_raises_nothing_but_challenge_error(text: str) -> None:
    try:
        parse_challenges([text])
    except ChallengeError:
        pass


@settings(max_examples=300, deadline=None)
@given(challenges)
def test_render_then_parse_round_trips(challenge: Challenge) -> None:
    assert parse_challenges([render_challenge(challenge)]) == [challenge]


@settings(max_examples=200, deadline=None)
@given(st.lists(challenges, min_size=1, max_size=4))
def test_several_rendered_challenges_in_one_line_round_trip(items: list[Challenge]) -> None:
    line = ", ".join(render_challenge(c) for c in items)
    parsed = parse_challenges([line])
    # a token68 challenge followed by a param-less one is the only ambiguity-free case either way
    assert parsed == items
