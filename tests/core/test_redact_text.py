"""Secrets inside free text (messages, status lines, log records, pasted commands), normal and strict."""

from __future__ import annotations

import pytest

from inspector.core.redact import mask_text, text_secret_values

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.sig-SECRET-0042abcdef"


@pytest.mark.parametrize(
    ("text", "secret", "kept"),
    [
        ("The URL 'https://alice:pw-SECRET-93817@api.example.com/x' has a space",
         "pw-SECRET-93817", "https://alice:…@api.example.com/x"),
        ("The URL 'https://api.example.com/x?api_key=AK-SECRET-55512&page=2' has a space",
         "AK-SECRET-55512", "page=2"),
        ("The URL 'ghp_SECRETtoken0123456789@github.com/x' has no scheme",
         "ghp_SECRETtoken0123456789", "has no scheme"),
        ("The URL 'me:pw-SECRET-8877@host.example' has no scheme", "pw-SECRET-8877", "me:…@host.example"),
        (f"The URL 'curl -H 'Authorization: Bearer {TOKEN}' https://a.example/x' contains a space",
         TOKEN, "Authorization: Bearer eyJhbG…"),
        (f"Rejected with Bearer {TOKEN} at 10:00", TOKEN, "at 10:00"),
        ("The header line 'X-Api-Key sk_live_SECRET0123456' has no colon; X-Api-Key: sk_live_SECRET0123456",
         "sk_live_SECRET0123456", "has no colon"),
        ("curl -u bob:s3cr3t-SECRET https://x.example", "s3cr3t-SECRET", "bob:…"),
        ("grant_type=refresh_token&client_secret=cs-SECRET-7781&client_id=c", "cs-SECRET-7781",
         "client_id=c"),
        ('{"access_token": "at-SECRET-12345678", "expires_in": 300}', "at-SECRET-12345678",
         '"expires_in": 300'),
        ("Cookie: session=sess-SECRET-0099; theme=dark", "sess-SECRET-0099", "Cookie: session="),
        ('Authorization: Digest username="u", response="0123456789abcdef0123", nonce="n"',
         "0123456789abcdef0123", 'username="u"'),
        # a value found by shape is also scrubbed where the message quotes it again, in other words
        ("X-Api-Key: key-SECRET-424242 was refused: the value 'key-SECRET-424242' is unknown",
         "key-SECRET-424242", "was refused"),
    ],
)
def test_secrets_in_a_sentence_are_masked_and_the_sentence_kept(text: str, secret: str, kept: str) -> None:
    for strict in (False, True):
        shown = mask_text(text, strict=strict)
        assert secret not in shown
        assert kept in shown


@pytest.mark.parametrize(
    "prose",
    [
        "Summary for authorization: what a support engineer would say.",
        "The token endpoint https://login.example.com/token did not accept the client credentials.",
        'Bearer error="invalid_token", error_description="The token expired"',
        "Token exchange failed: the server said no.",
        "Not valid JSON: Expecting value (line 1, column 1)",
        "HTTP 401 with code=invalid_token in 120 ms",
        "Sent in the Authorization header with the Bearer scheme.",
        "https://api.example.com/v1/orders?page=2&sort=asc",
        "The access token expired.",
        "Your refresh token revoked.",
    ],
)
def test_prose_is_left_alone_in_normal_mode(prose: str) -> None:
    assert mask_text(prose) == prose


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("the server echoed eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln back",
         "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln"),
        ("opaque value 9f8e7d6c5b4a39281706f5e4d3c2b1a0 in the message", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
        ("the token: abcdefghij", "abcdefghij"),
        ('{"token_type": "Bearer", "x_session_key": "abcdefghij"}', "abcdefghij"),
    ],
)
def test_strict_mode_masks_what_only_looks_like_a_secret(text: str, secret: str) -> None:
    assert secret in mask_text(text)
    assert secret not in mask_text(text, strict=True)


def test_known_secrets_are_scrubbed_anywhere_and_found_ones_only_when_long_enough() -> None:
    text = "the profile's key KNOWN-1234 and a password=test that says test"
    shown = mask_text(text, secrets=["KNOWN-1234"])
    assert "KNOWN-1234" not in shown
    # "test" is too short to be scrubbed elsewhere by value
    assert "password=…" in shown and shown.endswith("that says test")


def test_extra_names_make_a_parameter_secret() -> None:
    text = "GET https://api.example.com/x?tenant_auth=TA-SECRET-9981 failed"
    assert "TA-SECRET-9981" in mask_text(text)
    assert "TA-SECRET-9981" not in mask_text(text, extra_names=["tenant_auth"])


def test_masking_is_idempotent_and_keeps_a_mask_readable() -> None:
    once = mask_text(f"Authorization: Bearer {TOKEN}, url https://u:pw-123456789@h/x?api_key=abcdefgh123")
    assert mask_text(once) == once
    assert mask_text(once, strict=True) == once


def test_text_secret_values_lists_what_a_pasted_command_holds() -> None:
    command = (f"curl 'https://u:pw-SECRET-1@h.example/x?access_token=AT-SECRET-2' -H 'Authorization: Bearer "
               f"{TOKEN}' -d 'client_secret=CS-SECRET-3'")
    found = text_secret_values(command)
    for secret in ("pw-SECRET-1", "AT-SECRET-2", TOKEN, "CS-SECRET-3"):
        assert secret in found


# -- the cheap tests before each pattern's pass: never a secret missed because of them ------------------------

def test_the_scheme_test_says_yes_for_every_spelling_the_auth_pattern_matches() -> None:
    """_AUTH_RE matches its schemes in any case re.IGNORECASE knows, Unicode letters included (the Kelvin sign
    for k, the long s, the dotted and dotless I's): the test before its pass must say yes for each."""
    import re

    from inspector.core.redact import text as text_module

    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    spellings = {letter: set(re.findall(re.escape(letter), every, re.IGNORECASE))
                 for letter in set("".join(text_module._SCHEME_WORDS))}
    assert "\u212a" in spellings["k"] and "\u017f" in spellings["s"] and "\u0131" in spellings["i"]
    for word in text_module._SCHEME_WORDS:
        for at, letter in enumerate(word):
            for other in spellings[letter]:
                spelled = word[:at] + other + word[at + 1:]
                assert text_module._AUTH_RE.search(f"x {spelled} abc123def456ghi") or other == letter
                assert text_module._has_scheme_word(f"see {spelled} here"), (word, other)


FRAGMENTS = [
    "https://alice:pw-SECRET-1@api.example.com/x?api_key=AK-SECRET-2&page=2", "me:pw-SECRET-3@host.example",
    "ghp_SECRETtoken0123456789@github.com", "Authorization: Bearer abcdef0123456789SECRET",
    "bearer\tZm9vOmJhcg==", "X-Api-Key: sk_live_SECRET0123456", "client_secret=cs-SECRET-7781",
    '{"access_token": "at-SECRET-12345678"}', '"password":"pw-SECRET-99"', "curl -u bob:s3cr3t-SECRET",
    "--user=ann:SECRET-pw", "-U proxy:SECRET-pu", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.sig", "token=abc",
    "Token endpoint",
    "plain words", "a:b", "x=y", "@", "://", "-U", "é", "İ", "\u212a", " ", "\n", "\t", '"', ":", "=", ",",
]


def test_the_tests_before_the_passes_change_no_result(monkeypatch) -> None:
    """Texts made of pieces that each pattern matches, and of the characters the tests look for, masked
    with the tests and without them: the same text and the same values found, normal and strict."""
    import random

    from inspector.core.redact import text as text_module

    rng = random.Random(1234)
    texts = ["".join(rng.choice(FRAGMENTS) + rng.choice(["", " ", "\n", "&", ", "]) for _ in range(rng.randint(1, 8)))
             for _ in range(600)]
    texts += FRAGMENTS
    skipping = [t for t in texts if not all(needs(t) for needs in text_module._NEEDS.values())]
    assert len(skipping) > 100  # (not vacuous: many of them skip some pass)
    with_tests = [(mask_text(t, strict=s), text_secret_values(t, strict=s)) for t in texts for s in (False, True)]
    monkeypatch.setattr(text_module, "_NEEDS", {})
    without = [(mask_text(t, strict=s), text_secret_values(t, strict=s)) for t in texts for s in (False, True)]
    assert with_tests == without
