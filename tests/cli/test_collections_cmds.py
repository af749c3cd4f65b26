"""`import`, `export`, `collections list` and `secrets` on the command line (in-process and subprocess)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from inspector.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "import"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_json_report(tmp_path: Path, capsys) -> None:
    into = tmp_path / "billing"
    code, out, err = cli(
        capsys, "import", str(FIXTURES / "postman-v21-billing.json"), "--into", str(into), "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["format"] == "postman-2.1" and doc["into"] == str(into)
    assert (doc["folders"], doc["requests"], doc["variables"]) == (5, 14, 9)
    assert {"reference", "for", "source"} == set(doc["references"][0])
    assert {"item", "what", "why"} == set(doc["not_imported"][0])
    assert (into / "collection.toml").is_file()


def test_import_text_report_lists_secrets_to_provide(tmp_path: Path, capsys) -> None:
    code, out, _ = cli(
        capsys, "import", str(FIXTURES / "openapi-3.0-petstore.yaml"), "--into", str(tmp_path / "p")
    )
    assert code == 0
    assert out.startswith("Imported the OpenAPI 3.0 into ")
    assert "2 folders, 8 requests, 7 profiles" in out
    assert "secrets set KEY" in out and "${secret:petstore.petstore-bearerauth.token}" in out
    assert "Not carried over:" in out and "mutualTLS" in out


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: (d / "x.json").write_text('{"a": 1}') and d / "x.json", "not a format"),
        (lambda d: d / "missing.json", "cannot be read"),
    ],
)
def test_import_errors_exit_2(tmp_path: Path, capsys, make, message: str) -> None:
    code, out, err = cli(capsys, "import", str(make(tmp_path)), "--into", str(tmp_path / "out"))
    assert code == 2 and out == "" and message in err
    assert not (tmp_path / "out").exists()


def test_import_into_a_non_empty_folder_exits_2_and_changes_nothing(tmp_path: Path, capsys) -> None:
    into = tmp_path / "taken"
    into.mkdir()
    (into / "README.md").write_text("mine", encoding="utf-8")
    code, _, err = cli(capsys, "import", str(FIXTURES / "curl-commands.sh"), "--into", str(into))
    assert code == 2 and "not empty" in err
    assert [p.name for p in into.iterdir()] == ["README.md"]


def test_import_without_into_goes_to_the_personal_folder_and_is_listed(tmp_path: Path, capsys) -> None:
    code, out, _ = cli(capsys, "import", str(FIXTURES / "openapi-3.1-notes.json"), "--json")
    assert code == 0
    into = Path(json.loads(out)["into"])
    try:
        from inspector.core.collections.defaults import default_collections_dir

        assert into.parent == default_collections_dir()
        code, out, _ = cli(capsys, "collections", "list", "--collections-dir", str(FIXTURES))
        assert code == 0
        line = next(line for line in out.splitlines() if str(into) in line)
        assert line.startswith("Notes") and "(personal)" in line
        code, out, _ = cli(capsys, "collections", "list", str(into))
        assert out.splitlines()[0] == f"Notes  ({into})"
        assert "POST    Create a note" in out
        code, out, _ = cli(capsys, "collections", "list", str(into), "--json")
        assert [i["request"] for i in json.loads(out)["items"]][:2] == ["listNotes", "Create a note"]
    finally:
        import shutil

        shutil.rmtree(into)


def test_collections_list_shows_team_folders_and_broken_ones(tmp_path: Path, capsys, monkeypatch) -> None:
    team = tmp_path / "team"
    cli(capsys, "import", str(FIXTURES / "curl-commands.sh"), "--into", str(team / "curl"))
    (team / "broken").mkdir()
    (team / "broken" / "collection.toml").write_text('name = "Broken\n', encoding="utf-8")
    monkeypatch.setenv("INSPECTOR_COLLECTIONS", str(team))
    code, out, _ = cli(capsys, "collections", "list")
    assert code == 0
    assert any(line.startswith("curl-commands") and "(team)" in line for line in out.splitlines())
    assert any(
        line.startswith("broken") and "broken:" in line and "line 1" in line for line in out.splitlines()
    )


def test_export_to_stdout_and_to_a_file(tmp_path: Path, capsys) -> None:
    into = tmp_path / "billing"
    cli(capsys, "import", str(FIXTURES / "postman-v21-billing.json"), "--into", str(into))
    code, out, err = cli(capsys, "export", str(into))
    assert code == 0
    doc = json.loads(out)
    assert doc["info"]["schema"] == "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    assert doc["auth"]["type"] == "bearer"
    target = tmp_path / "out.json"
    code, out, err = cli(capsys, "export", str(into / "admin"), "--format", "postman-2.1", "-o", str(target))
    assert code == 0 and out == "" and str(target) in err
    assert json.loads(target.read_text(encoding="utf-8"))["info"]["name"] == "Admin"
    code, _, err = cli(capsys, "export", str(tmp_path))
    assert code == 2 and "not in a collection" in err


def test_secrets_set_list_delete(tmp_path: Path, capsys, monkeypatch) -> None:
    key = f"cli-test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-value-42\n"))
    code, out, _ = cli(capsys, "secrets", "set", key)
    assert code == 0 and key in out and "s3cret-value-42" not in out
    code, out, _ = cli(capsys, "secrets", "list")
    line = next(line for line in out.splitlines() if line.startswith(key))
    assert "stored in" in line and "s3cret-value-42" not in out
    monkeypatch.setenv("FROM_ENV_VALUE", "other-value")
    assert cli(capsys, "secrets", "set", f"${{secret:{key}}}", "--from-env", "FROM_ENV_VALUE")[0] == 0
    from inspector.core.profiles.defaults import default_store_for_secrets

    assert default_store_for_secrets().get(key) == "other-value"
    code, out, _ = cli(capsys, "secrets", "delete", key)
    assert code == 0 and "Deleted" in out
    assert default_store_for_secrets().get(key) is None
    code, out, _ = cli(capsys, "secrets", "list")
    assert not any(line.startswith(key) for line in out.splitlines())


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["secrets", "set"], "x", "needs a KEY"),
        (["secrets", "set", "has space"], "x", "not a usable key"),
        (["secrets", "set", "k-empty"], "\n", "is empty"),
        (["secrets", "set", "k-env", "--from-env", "SURELY_NOT_SET_42"], "", "is not set"),
    ],
)
def test_secrets_bad_input_exits_2(capsys, monkeypatch, args: list[str], stdin: str, message: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code, _, err = cli(capsys, *args)
    assert code == 2 and message in err


def test_secrets_list_shows_keys_an_import_needs(tmp_path: Path, capsys, monkeypatch) -> None:
    team = tmp_path / "team"
    cli(capsys, "import", str(FIXTURES / "postman-v20-legacy.json"), "--into", str(team / "legacy"))
    monkeypatch.setenv("INSPECTOR_COLLECTIONS", str(team))
    code, out, _ = cli(capsys, "secrets", "list")
    line = next(line for line in out.splitlines() if line.startswith("legacy-shop.shop_password"))
    assert "not stored" in line and "profile Legacy Shop (digest)" in line


def test_the_demo_collection_runs_against_demo_server_on_any_port(tmp_path: Path) -> None:
    """`run resources/collections/demo --env demo` against `python main.py demo-server --port N`."""
    env = dict(os.environ)
    server = subprocess.Popen(
        [sys.executable, "main.py", "demo-server", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        url = first.split(" at ", 1)[1].split()[0].rstrip("/")
        report = tmp_path / "demo.xml"
        result = subprocess.run(
            [
                sys.executable,
                "main.py",
                "run",
                "resources/collections/demo",
                "--env",
                "demo",
                "--var",
                f"base_url={url}",
                "--json",
                "--junit",
                str(report),
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr
        doc = json.loads(result.stdout)
        assert doc["failed"] == 0 and doc["passed"] == len(doc["results"]) > 40
        first_two = [(r["status"], r["verdict"]) for r in doc["results"][:2]]
        assert first_two == [(401, "authentication"), (403, "authorization")]
        assert "eyJ" not in result.stdout  # tokens masked everywhere
        # the demo API's address may also come from INSPECTOR_DEMO_URL
        env2 = {**env, "INSPECTOR_DEMO_URL": url}
        result = subprocess.run(
            [
                sys.executable,
                "main.py",
                "run",
                "resources/collections/demo",
                "--env",
                "demo",
                "--folder",
                "Start here",
            ],
            cwd=ROOT,
            env=env2,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == "2 requests: 2 passed, 0 failed."
    finally:
        server.terminate()
        server.wait(timeout=30)
