"""`send` with bad input: exit 2 and one line on stderr showing the masked form, never the secret; a refused
connection says so once."""

from __future__ import annotations

import pytest

from inspector.cli import main

SECRET = "hunter2-SECRET-0123456789"


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["send", f"https://user:{SECRET}@api.example.com/a b"], "'https://user:…@api.example.com/a b'"),
        (["send", f"https://api.example.com/a b?api_key={SECRET}"], "?api_key=hunter…'"),
        (["send", f"https://api.example.com/a b?access_token={SECRET}"], "?access_token=hunter…'"),
        (["send", f"ftp://user:{SECRET}@api.example.com/"], "'ftp://user:…@api.example.com/'"),
        (["send", "http://127.0.0.1:9/", "-H", f"Authorization Bearer {SECRET}"],
         "'Authorization Bearer hunter…' has no colon"),
        (["send", "http://127.0.0.1:9/", "-H", "Authorization Bearer abc"],
         "'Authorization Bearer …' has no colon"),
        (["send", "--curl", f"curl -H 'Authorization Bearer {SECRET}' http://127.0.0.1:9/"],
         "'Authorization Bearer hunter…'"),
        (["send", "--curl", f"curl 'https://user:{SECRET}@api.example.com/a b'"],
         "user:…@api.example.com/a b"),
        (["send", "--curl", f"curl 'https://api.example.com/a b?api_key={SECRET}'"], "?api_key=hunter…"),
    ],
)
def test_bad_input_shows_the_masked_form(capsys, argv: list[str], shown: str) -> None:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert shown in captured.err
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err
    for stream in (captured.out, captured.err):
        assert SECRET not in stream and SECRET[8:] not in stream
    assert "abc" not in captured.err.replace("api.example.com", "")


def test_refused_connection_is_said_once(capsys) -> None:
    assert main(["send", "http://127.0.0.1:9/x"]) == 1
    captured = capsys.readouterr()
    both = captured.out + captured.err
    assert "was refused" in captured.err
    assert both.count("was refused") == 1, both
    assert "Verdict: transport-error" in captured.out
