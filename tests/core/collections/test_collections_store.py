"""The collection store on real folders: loading, order, broken files, saving rules, conflicts, discovery."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from inspector.core.collections.model import (
    BodyField,
    CollectionConflict,
    CollectionError,
    Folder,
    Param,
    SavedBody,
    SavedRequest,
)
from inspector.core.collections.resolve import all_requests, choose_profile, select_requests
from inspector.core.collections.store import (
    collection_sources,
    create_collection,
    create_folder,
    delete_folder,
    delete_request,
    discover,
    duplicate_request,
    find_collection_root,
    load_collection,
    move_request,
    new_request,
    read_request,
    rename_request,
    save_collection,
    save_environment,
    save_request,
    snapshot,
)
from inspector.core.collections.tomltext import dumps
from inspector.core.request import Header

REPO = Path(__file__).resolve().parents[3]


def test_a_collection_loads_with_folders_requests_and_environments(billing: Path) -> None:
    collection, problems = load_collection(billing)
    assert problems == []
    assert collection.name == "Billing API"
    assert collection.profile == "Billing (staging)"
    assert [e.name for e in collection.environments] == ["Production", "staging"]
    paths = [(tuple(f.name for f in parents), r.name) for parents, r in all_requests(collection)]
    # order = [...] in collection.toml and folder.toml, else by name
    assert paths == [(("Invoices",), "Create invoice"), (("Invoices",), "List invoices"), ((), "Health")]
    create = next(r for _, r in all_requests(collection) if r.name == "Create invoice")
    assert create.method == "POST" and create.expect_status == 201
    assert create.body.kind == "json" and "Grace Hopper" in create.body.text
    listing = next(r for _, r in all_requests(collection) if r.name == "List invoices")
    assert listing.params == (Param("tenant", "{{tenant}}"), Param("page", "{{page}}", enabled=False))
    assert listing.method == "GET"


def test_without_an_order_items_sort_by_name(tmp_path: Path, write) -> None:
    root = tmp_path / "c"
    write(root / "collection.toml", 'name = "C"\n')
    for stem, name in (("b", "beta"), ("a", "Alpha"), ("z", "aardvark")):
        write(root / f"{stem}.toml", f'name = "{name}"\nurl = "http://x/"\n')
    write(root / "folder-m" / "folder.toml", 'name = "Middle"\n')
    collection, _ = load_collection(root)
    assert [i.name for i in collection.items] == ["aardvark", "Alpha", "beta", "Middle"]


def test_profiles_and_environments_folders_are_not_request_folders(billing: Path, write) -> None:
    write(billing / "profiles" / "billing.toml", 'format = 1\nname = "Billing (staging)"\nkind = "none"\n')
    collection, problems = load_collection(billing)
    assert problems == []
    assert "profiles" not in [i.name for i in collection.items]
    assert "environments" not in [i.name for i in collection.items]


@pytest.mark.parametrize(
    ("text", "line", "code"),
    [
        ('name = "x"\nurl = "http://a/"\nmethod = \n', 3, "broken-file"),
        ('name = "x"\n', None, "missing-field"),
        ('format = 9\nname = "x"\nurl = "u"\n', 1, "newer-format"),
        ('name = "x"\nurl = "u"\nexpect_status = 42\n', 3, "bad-field"),
        (
            'name = "x"\nurl = "u"\n[[headers]]\nname = "A"\n[[headers]]\nvalue = "no name"\n',
            5,
            "missing-field",
        ),
        ('name = "x"\nurl = "u"\n[body]\nkind = "yaml"\n', 4, "bad-field"),
        ('name = "x"\nurl = "u"\n[body]\nkind = "file"\n', 3, "missing-field"),
        ('name = "x"\nurl = "u"\n[vars]\na = [1]\n', 4, "bad-field"),
    ],
)
def test_a_broken_file_is_reported_with_its_line_and_the_rest_loads(
    billing: Path, write, text: str, line: int | None, code: str
) -> None:
    broken = write(billing / "invoices" / "broken.toml", text)
    before = broken.read_bytes()
    collection, problems = load_collection(billing)
    assert len(all_requests(collection)) == 3  # everything else still loads
    assert len(problems) == 1
    problem = problems[0]
    assert problem.path == broken and problem.code == code and problem.line == line
    assert str(broken) in problem.message
    if line:
        assert f"line {line}" in problem.message
    assert broken.read_bytes() == before  # loading never rewrites


def test_a_broken_collection_toml_still_loads_the_tree(billing: Path) -> None:
    (billing / "collection.toml").write_text('name = "Billing\n', encoding="utf-8")
    collection, problems = load_collection(billing)
    assert collection.name == "billing-api"
    assert len(all_requests(collection)) == 3
    assert problems[0].path == billing / "collection.toml" and problems[0].line == 1


def test_a_folder_that_is_not_a_collection_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CollectionError, match="has no collection.toml"):
        load_collection(tmp_path)
    with pytest.raises(CollectionError, match="not in a collection"):
        find_collection_root(tmp_path)


def test_the_root_is_found_from_a_folder_or_a_request_inside(billing: Path) -> None:
    assert find_collection_root(billing / "invoices") == billing
    assert find_collection_root(billing / "invoices" / "list-invoices.toml") == billing


def test_saving_keeps_unknown_keys_and_loads_back(billing: Path) -> None:
    collection, _ = load_collection(billing)
    create = next(r for _, r in all_requests(collection) if r.name == "Create invoice")
    saved = save_request(replace(create, url="{{base_url}}/api/v2/invoices"))
    doc = tomllib.loads(saved.path.read_text(encoding="utf-8"))
    assert doc["x_custom"] == {"reviewed": True}
    assert doc["headers"][0]["flag"] == "keep-me"  # unknown key of an unchanged entry
    assert doc["url"] == "{{base_url}}/api/v2/invoices"
    assert read_request(saved.path) == saved
    meta = save_collection(replace(collection, vars={**collection.vars, "region": "eu"}))
    assert tomllib.loads(meta.path.read_text(encoding="utf-8"))["team_note"] == "kept on save"


def test_a_file_changed_on_disk_is_not_silently_overwritten(billing: Path) -> None:
    collection, _ = load_collection(billing)
    listing = next(r for _, r in all_requests(collection) if r.name == "List invoices")
    assert listing.path is not None
    listing.path.write_text(listing.path.read_text(encoding="utf-8") + "# a git pull\n", encoding="utf-8")
    with pytest.raises(CollectionConflict, match="changed on disk since it was loaded"):
        save_request(replace(listing, name="Mine"))
    assert "# a git pull" in listing.path.read_text(encoding="utf-8")
    save_request(replace(listing, name="Mine"), overwrite=True)
    assert read_request(listing.path).name == "Mine"


def test_a_new_request_never_replaces_an_existing_file(billing: Path) -> None:
    request = SavedRequest(name="Other", url="http://x/", path=billing / "health.toml")
    with pytest.raises(CollectionConflict, match="already exists"):
        save_request(request)


def test_a_deleted_file_is_a_conflict_not_a_silent_rewrite(billing: Path) -> None:
    collection, _ = load_collection(billing)
    health = next(r for _, r in all_requests(collection) if r.name == "Health")
    assert health.path is not None
    health.path.unlink()
    with pytest.raises(CollectionConflict, match="deleted on disk"):
        save_request(health)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"headers": (Header("Authorization", "Bearer abc.def.ghi-literal"),)}, "header 'Authorization'"),
        ({"headers": (Header("X-API-Key", "k_live_12345"),)}, "header 'X-API-Key'"),
        ({"headers": (Header("Cookie", "sid=abcdef123"),)}, "header 'Cookie'"),
        ({"params": (Param("api_key", "k_live_12345"),)}, "query parameter 'api_key'"),
        ({"url": "https://grace:hunter2@example.com/"}, "the password in the URL"),
        ({"body": SavedBody("form", fields=(BodyField("password", "hunter2"),))}, "body field 'password'"),
        ({"body": SavedBody("json", '{"user": {"password": "hunter2"}}')}, "the body's 'password'"),
        ({"body": SavedBody("text", "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")}, "the body"),
        ({"vars": {"access_token": "abc123"}}, "variable 'access_token'"),
    ],
)
def test_a_literal_secret_is_refused_on_save(billing: Path, change: dict, where: str) -> None:
    request = new_request(billing, "Leaky", url="https://example.com/")
    with pytest.raises(CollectionError, match="literal secret") as info:
        save_request(replace(request, **change))
    assert where in str(info.value) and "${secret:KEY}" in str(info.value)
    assert request.path is not None and not request.path.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"headers": (Header("Authorization", "Bearer {{token}}"),)},
        {"headers": (Header("Authorization", "{{aws_authorization}}"),)},
        {"headers": (Header("Cookie", "sid={{sid}}; theme={{theme}}"),)},
        {"params": (Param("api_key", "{{api_key}}"),)},
        {"body": SavedBody("form", fields=(BodyField("password", "{{password}}"),))},
        {"body": SavedBody("json", '{"key": "order-1", "code": "E42", "token_type": "Bearer"}')},
        {"vars": {"access_token": "${secret:k}", "page": "2"}},
    ],
)
def test_variables_and_references_are_not_literal_secrets(billing: Path, change: dict) -> None:
    saved = save_request(replace(new_request(billing, "Fine", url="https://example.com/"), **change))
    assert saved.path is not None and saved.path.exists()


def test_an_environment_value_that_is_secret_must_be_a_reference(billing: Path) -> None:
    collection, _ = load_collection(billing)
    staging = collection.environment("staging")
    with pytest.raises(CollectionError, match="variable 'api_key'"):
        save_environment(replace(staging, vars={**staging.vars, "api_key": "k_live_1"}))
    saved = save_environment(replace(staging, vars={**staging.vars, "region": "eu"}))
    assert saved.vars["api_key"] == "${secret:billing-staging-key}"


def test_an_unknown_environment_names_the_known_ones(billing: Path) -> None:
    collection, _ = load_collection(billing)
    with pytest.raises(
        CollectionError, match=r"no environment called 'qa' \(its environments: Production, staging\)"
    ):
        collection.environment("qa")
    assert collection.environment("production").name == "Production"


def test_create_rename_move_duplicate_delete(tmp_path: Path) -> None:
    root = tmp_path / "new"
    collection = create_collection(root, "New one", variables={"base_url": "http://127.0.0.1:1"})
    assert collection.path.is_file()
    with pytest.raises(CollectionError, match="not empty"):
        create_collection(root, "Again")
    folder = create_folder(root, "Drafts")
    assert folder.path == root / "drafts" and (root / "drafts" / "folder.toml").is_file()
    profiles_folder = create_folder(root, "profiles")  # a reserved name at the top gets a suffix
    assert profiles_folder.path == root / "profiles-2"
    first = save_request(new_request(root, "Ping", url="{{base_url}}/ping"))
    second = save_request(new_request(root, "Ping", url="{{base_url}}/ping2"))
    assert {first.path.name, second.path.name} == {"ping.toml", "ping-2.toml"}  # type: ignore[union-attr]
    renamed = rename_request(first, "Pong")
    assert renamed.path == root / "pong.toml" and not (root / "ping.toml").exists()
    moved = move_request(renamed, folder.path)  # type: ignore[arg-type]
    assert moved.path == root / "drafts" / "pong.toml" and not (root / "pong.toml").exists()
    copy = duplicate_request(moved)
    assert copy.name == "Pong (copy)" and copy.path == root / "drafts" / "pong-copy.toml"
    delete_request(copy)
    assert not (root / "drafts" / "pong-copy.toml").exists()
    with pytest.raises(CollectionError, match="not empty"):
        delete_folder(root / "drafts")
    delete_folder(root / "drafts", recursive=True)
    with pytest.raises(CollectionError, match="is a collection"):
        delete_folder(root)
    loaded, problems = load_collection(root)
    assert problems == [] and [r.name for _, r in all_requests(loaded)] == ["Ping"]


def test_deleting_a_request_changed_on_disk_is_a_conflict(billing: Path) -> None:
    health = read_request(billing / "health.toml")
    (billing / "health.toml").write_text('name = "Health"\nurl = "http://other/"\n', encoding="utf-8")
    with pytest.raises(CollectionConflict):
        delete_request(health)
    delete_request(health, force=True)
    assert not (billing / "health.toml").exists()


def test_moving_or_renaming_a_request_deleted_on_disk_is_a_conflict(billing: Path) -> None:
    """A `git pull` removed the file after it was loaded: moving or renaming it would write it back."""
    health = read_request(billing / "health.toml")
    (billing / "health.toml").unlink()
    before = snapshot(billing)
    with pytest.raises(CollectionConflict, match="deleted on disk"):
        move_request(health, billing / "invoices")
    with pytest.raises(CollectionConflict, match="deleted on disk"):
        rename_request(health, "Health check")
    assert snapshot(billing) == before  # nothing written


def test_snapshot_sees_a_git_pull(billing: Path) -> None:
    before = snapshot(billing)
    assert billing / "invoices" / "list-invoices.toml" in before
    (billing / "invoices" / "new.toml").write_text('name = "New"\nurl = "http://x/"\n', encoding="utf-8")
    after = snapshot(billing)
    assert set(after) - set(before) == {billing / "invoices" / "new.toml"}


def test_profile_choice_follows_request_then_folder_then_collection(billing: Path, write) -> None:
    write(billing / "invoices" / "folder.toml", 'name = "Invoices"\nprofile = "Invoices key"\n')
    collection, _ = load_collection(billing)
    choices = {r.name: choose_profile(collection, parents, r) for parents, r in all_requests(collection)}
    assert (choices["List invoices"].name, choices["List invoices"].source) == ("Invoices key", "folder")
    assert "folder 'Invoices'" in choices["List invoices"].reason
    assert (choices["Health"].name, choices["Health"].source) == (None, "request")
    assert "no credentials" in choices["Health"].reason
    top = SavedRequest(name="Top", url="u")
    assert choose_profile(collection, (), top).name == "Billing (staging)"
    assert choose_profile(replace(collection, profile=None), (), top).source == "none"


def test_selecting_by_folder_path_and_request_name(billing: Path) -> None:
    collection, _ = load_collection(billing)
    assert [r.name for _, r in select_requests(collection, folder="Invoices")] == [
        "Create invoice",
        "List invoices",
    ]
    assert [r.name for _, r in select_requests(collection, folder="invoices")] == [
        "Create invoice",
        "List invoices",
    ]
    assert [r.name for _, r in select_requests(collection, request="Invoices/List invoices")] == [
        "List invoices"
    ]
    assert [r.name for _, r in select_requests(collection, request="list-invoices")] == ["List invoices"]
    with pytest.raises(CollectionError, match="no folder 'Nope'"):
        select_requests(collection, folder="Nope")
    with pytest.raises(CollectionError, match="No request called 'Nope'"):
        select_requests(collection, request="Nope")


def test_discovery_reads_personal_env_and_cli_folders(tmp_path: Path, billing: Path) -> None:
    personal = tmp_path / "personal"
    create_collection(personal / "mine", "Mine")
    team = tmp_path / "team"
    create_collection(team / "shared", "Shared")
    (team / "not-a-collection").mkdir()
    sources = collection_sources(personal, {"INSPECTOR_COLLECTIONS": os.pathsep.join([str(team)])}, [billing])
    assert [(s.path, s.kind) for s in sources] == [(personal, "personal"), (team, "team"), (billing, "team")]
    found = discover(sources)
    assert [(c.name, c.source.kind) for c in found] == [
        ("Mine", "personal"),
        ("Shared", "team"),
        ("Billing API", "team"),
    ]


def test_two_processes_saving_at_once_never_lose_an_edit(billing: Path) -> None:
    """Each process saves its own edit of the same loaded version: one lands, the other gets a conflict."""
    script = textwrap.dedent(
        """
        import sys
        from dataclasses import replace
        from pathlib import Path
        from inspector.core.collections.model import CollectionConflict
        from inspector.core.collections.store import read_request, save_request
        path = Path(sys.argv[1])
        request = read_request(path)
        print("loaded", flush=True)
        sys.stdin.readline()  # both have loaded the same version
        try:
            save_request(replace(request, name=sys.argv[2]))
            print("saved")
        except CollectionConflict:
            print("conflict")
        """
    )
    path = billing / "health.toml"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path), name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name in ("A", "B")
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "loaded"
    outputs = [p.communicate("go\n", timeout=30)[0].strip() for p in procs]
    assert sorted(outputs) == ["conflict", "saved"]
    assert read_request(path).name in ("A", "B")


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(name=_TEXT.filter(lambda s: s.strip()), text=_TEXT, value=_TEXT)
@example(name="0", text="", value="\r\n")  # a multi-line TOML string reads "\r\n" back as "\n"
@example(name="n", text='{"a":\r\n1}', value="x")
def test_any_request_text_survives_a_write_and_a_read(
    tmp_path_factory, name: str, text: str, value: str
) -> None:
    folder = tmp_path_factory.mktemp("prop")
    request = SavedRequest(
        name=name.strip(),
        url="{{base_url}}/x",
        headers=(Header("X-Note", value),),
        body=SavedBody("text", text),
        path=folder / "r.toml",
    )
    doc = tomllib.loads(dumps(request.to_document()))
    assert doc["body"]["text"] == text and doc["headers"][0]["value"] == value and doc["name"] == name.strip()


def test_folders_hold_their_own_variables_and_profile(billing: Path) -> None:
    collection, _ = load_collection(billing)
    invoices = next(i for i in collection.items if isinstance(i, Folder))
    assert invoices.vars == {"page": "1"} and invoices.profile is None
