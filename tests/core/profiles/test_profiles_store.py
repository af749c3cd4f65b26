"""ProfileStore on real folders: loading with broken neighbours, saving, conflicts, team rules, find, watching."""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import replace

import pytest

from inspector.core.errors import ProfileError
from inspector.core.profiles.model import new_profile
from inspector.core.profiles.secrets import FileSecretStore, Resolver
from inspector.core.profiles.store import (
    ProfileConflict,
    ProfileStore,
    changed,
    snapshot,
    team_dirs_from,
)

GOOD = """
format = 1
name = "Good"
kind = "bearer"
[credentials]
token = "${env:GOOD_TOKEN}"
"""


def test_broken_files_are_reported_and_the_rest_still_loads(store, personal, team, write) -> None:
    write(personal, "good", GOOD)
    bad_toml = write(personal, "bad", 'name = "x"\nkind = "basic\n')
    unknown = write(team, "unknown", 'name = "u"\nkind = "oauth3"\n')
    missing = write(team, "missing", 'name = "m"\nkind = "basic"\n[credentials]\nusername = "u"\n')
    write(team, "also-good", 'name = "Team good"\nkind = "none"\n')
    before = {p: p.read_bytes() for p in (bad_toml, unknown, missing)}
    mtimes = {p: p.stat().st_mtime_ns for p in before}

    profiles, problems = store.load_all()

    assert [(p.name, p.folder_kind) for p in profiles] == [("Good", "personal"), ("Team good", "team")]
    found = {(pr.path, pr.code, pr.line, pr.field) for pr in problems}
    assert found == {
        (bad_toml, "broken-file", 2, None),
        (unknown, "unknown-kind", 2, "kind"),
        (missing, "missing-field", 3, "credentials.password"),
    }
    for pr in problems:
        assert str(pr.path) in pr.message
    # loading never rewrites a broken file
    assert {p: p.read_bytes() for p in before} == before
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes


def test_missing_team_folder_is_a_problem_missing_personal_is_not(tmp_path) -> None:
    store = ProfileStore(tmp_path / "nope-personal", [tmp_path / "nope-team"])
    profiles, problems = store.load_all()
    assert profiles == []
    assert [(p.code, p.path) for p in problems] == [("missing-folder", tmp_path / "nope-team")]


def test_temp_and_hidden_files_are_ignored(store, personal, write) -> None:
    write(personal, "good", GOOD)
    (personal / ".good.toml.abc.tmp").write_text("torn")
    (personal / ".hidden.toml").write_text("torn = ")
    profiles, problems = store.load_all()
    assert [p.stem for p in profiles] == ["good"] and problems == []


def test_unknown_keys_survive_load_edit_save(store, team, write) -> None:
    path = write(
        team,
        "billing",
        """
        format = 1
        name = "Billing"
        kind = "oauth2-client-credentials"
        owner = "payments"          # unknown top-level key
        [credentials]
        token_url = "https://login.example.com/token"
        client_id = "billing"
        client_secret = "${secret:billing}"
        x_tenant = "staging"        # unknown credential key
        [expect]
        audience = "https://billing"
        future_check = ["a", "b"]
        [plugin.retry]
        max = 3
        """,
    )
    (profile,), _ = store.load_all()
    edited = replace(profile, notes="Ask #billing.", credentials={**profile.credentials, "scope": "read"})
    saved = store.save(edited)

    doc = tomllib.loads(path.read_text())
    assert doc["owner"] == "payments"
    assert doc["credentials"]["x_tenant"] == "staging"
    assert doc["credentials"]["scope"] == "read"
    assert doc["expect"] == {"audience": "https://billing", "future_check": ["a", "b"]}
    assert doc["plugin"] == {"retry": {"max": 3}}
    assert doc["notes"] == "Ask #billing." and doc["format"] == 1
    assert saved.loaded is not None and saved.notes == "Ask #billing."
    # saving what was just saved is no conflict
    store.save(replace(saved, notes="again"))


def test_new_profile_is_created_in_the_personal_folder(store, personal) -> None:
    p = new_profile("My API", "basic", personal, credentials={"username": "me", "password": "${prompt}"})
    saved = store.save(p)
    assert saved.path == personal / "my-api.toml"
    assert store.find("My API") == saved
    # personal files may hold a literal secret: 0600 in a folder created 0700 (issue 9, item 19)
    assert stat.S_IMODE(saved.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(personal.stat().st_mode) == 0o700
    assert [f.name for f in personal.iterdir()] == ["my-api.toml"]  # no temp file left behind


def test_save_detects_a_change_made_on_disk_and_overwrite_escapes(store, personal, write) -> None:
    path = write(personal, "good", GOOD)
    (profile,), _ = store.load_all()
    path.write_text(GOOD.replace("Good", "Changed by someone else"))

    with pytest.raises(ProfileConflict) as info:
        store.save(replace(profile, notes="mine"))
    assert str(path) in str(info.value) and "changed on disk" in str(info.value)
    assert "Changed by someone else" in path.read_text()  # not overwritten

    saved = store.save(replace(profile, notes="mine"), overwrite=True)
    assert tomllib.loads(path.read_text())["notes"] == "mine"
    assert saved.name == "Good"


def test_same_content_rewritten_is_not_a_conflict(store, personal, write) -> None:
    path = write(personal, "good", GOOD)
    (profile,), _ = store.load_all()
    data = path.read_bytes()
    path.write_bytes(data)
    os.utime(path, ns=(1, 1))  # touched: mtime differs, content does not
    store.save(replace(profile, notes="fine"))


def test_new_profile_over_an_existing_file_and_a_deleted_file_are_conflicts(store, personal, write) -> None:
    write(personal, "good", GOOD)
    with pytest.raises(ProfileConflict, match="already exists"):
        store.save(new_profile("Good", "none", personal, stem="good"))
    (profile,), _ = store.load_all()
    profile.path.unlink()
    with pytest.raises(ProfileConflict, match="deleted"):
        store.save(profile)
    store.save(profile, overwrite=True)
    assert profile.path.exists()


def test_literal_secret_is_refused_in_a_team_folder(store, personal, team) -> None:
    p = new_profile("T", "bearer", team, credentials={"token": "s3cr3t-literal-value"})
    with pytest.raises(ProfileError) as info:
        store.save(p)
    assert "move it to your keyring" in str(info.value)
    assert "credentials.token" in str(info.value)
    assert not (team / "t.toml").exists()
    # references are fine in a team folder, literals are fine in the personal one
    store.save(replace(p, credentials={"token": "${secret:t}"}))
    store.save(replace(p, folder=personal))


def test_invalid_profile_is_not_written(store, personal) -> None:
    with pytest.raises(ProfileError, match="credentials.password"):
        store.save(new_profile("B", "basic", personal, credentials={"username": "u"}))
    assert not personal.exists() or not any(personal.iterdir())


def test_save_outside_the_store_folders_is_refused(store, tmp_path) -> None:
    with pytest.raises(ProfileError, match="not one of the profile folders"):
        store.save(new_profile("X", "none", tmp_path / "elsewhere"))


def test_delete_and_duplicate(store, personal, team, write) -> None:
    write(personal, "good", GOOD)
    (profile,), _ = store.load_all()
    copy = store.duplicate(profile, team)
    assert copy.path == team / "good.toml" and copy.folder_kind == "team"
    again = store.duplicate(profile, team)
    assert again.path == team / "good-2.toml"
    same = store.duplicate(profile, personal)
    assert same.name == "Good (copy)" and same.path == personal / "good-copy.toml"

    store.delete(again)
    assert not again.path.exists()
    copy.path.write_text(GOOD.replace("Good", "Edited"))
    with pytest.raises(ProfileConflict):
        store.delete(copy)
    store.delete(copy, force=True)
    assert not copy.path.exists()


def test_duplicate_with_a_literal_secret_into_a_team_folder_is_refused(store, personal, team) -> None:
    mine = store.save(
        new_profile("Mine", "basic", personal, credentials={"username": "u", "password": "pw-123"})
    )
    with pytest.raises(ProfileError, match="move it to your keyring"):
        store.duplicate(mine, team)


def test_find_by_name_stem_identity_and_ambiguity(store, personal, team, write) -> None:
    write(personal, "github", 'name = "GitHub"\nkind = "none"\n')
    write(team, "github", 'name = "GitHub"\nkind = "none"\n')
    write(team, "billing", 'name = "Billing"\nkind = "none"\n')
    write(team, "broken", 'name = "Broken"\nkind = "nope"\n')

    assert store.find("Billing").stem == "billing"
    assert store.find("billing").name == "Billing"
    assert store.find(str(team / "github")).folder_kind == "team"
    assert store.find(str(personal / "github.toml")).folder_kind == "personal"
    with pytest.raises(ProfileError) as info:
        store.find("GitHub")
    assert str(personal / "github") in str(info.value) and str(team / "github") in str(info.value)
    with pytest.raises(ProfileError, match="Did you mean 'Billing'"):
        store.find("Biling")
    with pytest.raises(ProfileError, match="unknown kind 'nope'"):
        store.find("broken")


def test_check_lists_every_problem(store, personal, team, write, file_store) -> None:
    write(personal, "bad", 'name = "x"\nkind = "basic\n')
    write(team, "literal", 'name = "Lit"\nkind = "bearer"\n[credentials]\ntoken = "abc123secret"\n')
    write(team, "nosecret", 'name = "No"\nkind = "bearer"\n[credentials]\ntoken = "${secret:absent}"\n')
    write(team, "noenv", 'name = "Env"\nkind = "bearer"\n[credentials]\ntoken = "${env:ABSENT_VAR}"\n')
    write(team, "asks", 'name = "Asks"\nkind = "bearer"\n[credentials]\ntoken = "${prompt}"\n')
    write(team, "fine", 'name = "Fine"\nkind = "bearer"\n[credentials]\ntoken = "${secret:present}"\n')
    file_store.set("present", "value-1")
    resolver = Resolver(file_store, env={})

    problems = store.check(resolver)
    codes = sorted((p.code, p.path.name) for p in problems)
    assert codes == [
        ("broken-file", "bad.toml"),
        ("literal-secret", "literal.toml"),
        ("missing-secret", "noenv.toml"),
        ("missing-secret", "nosecret.toml"),
    ]
    env_problem = next(p for p in problems if p.path.name == "noenv.toml")
    assert "set the environment variable ABSENT_VAR" in env_problem.message
    secret_problem = next(p for p in problems if p.path.name == "nosecret.toml")
    assert "'absent'" in secret_problem.message and "profiles dialog" in secret_problem.message


def test_team_dirs_from_env_and_cli(tmp_path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    env = {"INSPECTOR_PROFILES": os.pathsep.join([str(a), "", str(b)])}
    assert team_dirs_from(env, [c, str(a)]) == [a, b, c]
    assert team_dirs_from({}, []) == []


def test_personal_folder_given_again_as_team_is_not_doubled(personal) -> None:
    store = ProfileStore(personal, [personal])
    assert [f.kind for f in store.folders] == ["personal"]


def test_snapshot_and_changed(personal, team, write) -> None:
    a = write(personal, "a", GOOD)
    b = write(team, "b", GOOD)
    (team / "notes.txt").write_text("ignored")
    first = snapshot([personal, team, personal / "missing"])
    assert set(first) == {a, b}
    assert not changed(first, snapshot([personal, team]))

    c = write(team, "c", GOOD)
    b.write_text(GOOD + "\n# longer\n")
    a.unlink()
    diff = changed(first, snapshot([personal, team]))
    assert diff.added == (c,) and diff.removed == (a,) and diff.modified == (b,)
    assert bool(diff) and set(diff.paths) == {a, b, c}


def test_file_secret_store_is_what_the_checks_use(tmp_path) -> None:
    # a real FileSecretStore backs missing-secret checks: values set later are found
    fs = FileSecretStore(tmp_path / "data")
    resolver = Resolver(fs, env={})
    assert resolver.missing("${secret:k}") is not None
    fs.set("k", "v")
    assert resolver.missing("${secret:k}") is None


def test_default_store_and_resolver_stay_away_from_the_user_in_tests(tmp_path) -> None:
    from inspector.core.profiles.defaults import open_default_store, resolver_for_cli
    from inspector.core.profiles.secrets import FileSecretStore as FileStore

    env = {"INSPECTOR_TESTING": "1", "INSPECTOR_PROFILES": str(tmp_path / "a")}
    store = open_default_store([tmp_path / "b"], environ=env)
    assert store.team_dirs == (tmp_path / "a", tmp_path / "b")
    assert "testing" in str(store.personal_dir)
    resolver = resolver_for_cli(environ=env)
    assert isinstance(resolver.store, FileStore) and "testing" in str(resolver.store.path)
    assert resolver.resolve("${env:INSPECTOR_PROFILES}") == str(tmp_path / "a")
    mine = open_default_store(personal_dir=tmp_path / "me", environ={})
    assert mine.personal_dir == tmp_path / "me" and mine.team_dirs == ()
