"""The profile picker: folders and statuses in the list, suggestions from base_url, the user's choice wins."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from inspector.core.profiles import FileSecretStore, ProfileStore
from inspector.ui.profile_picker import NO_PROFILE, ProfilePicker, base_url_match
from inspector.ui.profiles_model import BROKEN, READY, SECRET_MISSING, ProfilesModel


def write(folder: Path, stem: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.toml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def bearer(name: str, base_url: str | None, token: str = "${env:TOKEN}") -> str:
    base = f'base_url = "{base_url}"\n' if base_url else ""
    return f'format = 1\nname = "{name}"\nkind = "bearer"\n{base}[credentials]\ntoken = "{token}"\n'


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    personal, team = tmp_path / "personal", tmp_path / "team-profiles"
    write(personal, "github", bearer("GitHub (mine)", "https://api.github.com"))
    write(personal, "billing-v2", bearer("Billing v2", "https://billing.example.com/v2"))
    write(team, "github", bearer("GitHub (team)", None))
    write(team, "billing", bearer("Billing", "https://billing.example.com", token="${env:MISSING}"))
    write(team, "broken", 'format = 1\nname = "Broken\nkind = "basic"\n')
    return personal, team


@pytest.fixture
def model(qtbot, folders: tuple[Path, Path], tmp_path: Path) -> ProfilesModel:
    personal, team = folders
    return loaded(qtbot, ProfilesModel(
        ProfileStore(personal, [team]), FileSecretStore(tmp_path / "data"), env={"TOKEN": "t0ken"}
    ))


def loaded(qtbot, model: ProfilesModel) -> ProfilesModel:
    """The model after its first load (made on its worker; delivered when the event loop runs)."""
    with qtbot.waitSignal(model.profiles_changed, timeout=10_000):
        pass
    return model


@pytest.fixture
def picker(qtbot, model: ProfilesModel) -> ProfilePicker:
    widget = ProfilePicker()
    qtbot.addWidget(widget)
    widget.bind(model)
    return widget


def texts(picker: ProfilePicker) -> list[str]:
    return [picker.itemText(i) for i in range(picker.count())]


def test_lists_no_profile_first_then_each_profile_with_its_folder(picker: ProfilePicker, folders) -> None:
    personal, team = folders
    items = texts(picker)
    assert items[0] == NO_PROFILE
    assert picker.itemData(0) is None
    assert "GitHub (mine) — personal" in items
    assert "GitHub (team) — team-profiles (team)" in items
    # Two folders both hold github.toml: each entry carries its own identity.
    assert picker.findData(str(personal / "github")) > 0
    assert picker.findData(str(team / "github")) > 0
    assert picker.current_profile() is None


def test_status_marks_and_tooltips(picker: ProfilePicker, model: ProfilesModel, folders) -> None:
    _, team = folders
    assert model.status(str(team / "billing")).state == SECRET_MISSING
    assert model.status(str(team / "github")).state == READY
    i = picker.findData(str(team / "billing"))
    assert picker.itemText(i).endswith("· secret missing")
    tip = picker.itemData(i, Qt.ItemDataRole.ToolTipRole)
    assert "${env:MISSING}" in tip and "MISSING is not set" in tip
    assert not picker.itemIcon(i).isNull()

    broken = picker.findData(str(team / "broken"))
    assert model.status(str(team / "broken")).state == BROKEN
    assert "broken file (line 2)" in picker.itemText(broken)
    assert "line 2" in picker.itemData(broken, Qt.ItemDataRole.ToolTipRole)
    assert not picker.model().item(broken).isEnabled()  # a broken file cannot be chosen


def test_screen_share_safe_leaves_paths_out_of_tooltips(picker: ProfilePicker, folders) -> None:
    _, team = folders
    i = picker.findData(str(team / "billing"))
    assert str(team) in picker.itemData(i, Qt.ItemDataRole.ToolTipRole)
    picker.set_screen_share_safe(True)
    i = picker.findData(str(team / "billing"))
    assert str(team) not in picker.itemData(i, Qt.ItemDataRole.ToolTipRole)
    assert picker.screen_share_safe()


@pytest.mark.parametrize(
    ("base", "url", "expected"),
    [
        ("https://api.example.com", "https://api.example.com/v1/items", 0),
        ("https://api.example.com/v1", "https://api.example.com/v1/items?x=1", 3),
        ("https://api.example.com/v1/", "https://api.example.com/v1", 3),
        ("https://api.example.com/v1", "https://api.example.com/v10/items", None),  # whole segments only
        ("https://api.example.com", "https://API.example.com:443/", 0),  # host case, default port
        ("https://api.example.com", "http://api.example.com/", None),  # scheme is part of the origin
        ("https://api.example.com", "https://api.example.com:8443/", None),
        ("https://api.example.com", "https://api.example.com.evil.test/", None),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/api/invoices", 0),
        ("https://api.example.com", "api.example.com/items", None),  # not a URL yet
        ("not a url", "https://api.example.com/", None),
    ],
)
def test_base_url_match(base: str, url: str, expected: int | None) -> None:
    assert base_url_match(base, url) == expected


@pytest.mark.parametrize(
    ("url", "stem"),
    [
        ("https://api.github.com/user", "personal/github"),
        ("https://billing.example.com/v2/invoices", "personal/billing-v2"),  # longest prefix wins
        ("https://billing.example.com/v1/invoices", "team-profiles/billing"),
        ("https://billing.example.com", "team-profiles/billing"),
        ("https://elsewhere.example.com/", None),
        ("", None),
    ],
)
def test_suggest_for_url(picker: ProfilePicker, tmp_path: Path, url: str, stem: str | None) -> None:
    found = picker.suggest_for_url(url)
    assert (found.identity if found else None) == (str(tmp_path / stem) if stem else None)


def test_suggest_is_none_when_two_usable_profiles_tie(qtbot, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, "one", bearer("One", "https://same.example.com"))
    write(b, "two", bearer("Two", "https://same.example.com"))
    model = loaded(qtbot, ProfilesModel(ProfileStore(a, [b]), None, env={"TOKEN": "x"}))
    picker = ProfilePicker()
    qtbot.addWidget(picker)
    picker.bind(model)
    assert picker.suggest_for_url("https://same.example.com/x") is None
    picker.url_changed("https://same.example.com/x")
    assert picker.current_profile() is None
    assert "2 profiles are offered for this URL" in picker.toolTip()


def test_url_changed_selects_the_suggestion_and_follows_the_url(picker: ProfilePicker, qtbot) -> None:
    with qtbot.waitSignal(picker.profile_changed) as blocker:
        picker.url_changed("https://api.github.com/user")
    assert blocker.args[0].name == "GitHub (mine)"
    assert picker.current_profile().name == "GitHub (mine)"
    assert picker.is_suggested() and not picker.is_manual()
    assert "Suggested because the URL is under https://api.github.com" in picker.toolTip()

    picker.url_changed("https://billing.example.com/v2/x")
    assert picker.current_profile().name == "Billing v2"
    with qtbot.waitSignal(picker.profile_changed) as blocker:
        picker.url_changed("https://nowhere.example.com/")
    assert blocker.args == [None]
    assert picker.currentText() == NO_PROFILE and not picker.is_suggested()


def test_a_choice_by_hand_is_kept_when_the_url_changes(picker: ProfilePicker, qtbot) -> None:
    picker.url_changed("https://api.github.com/user")
    suggested = picker.currentIndex()
    picker.setFocus()
    with qtbot.waitSignal(picker.profile_changed):
        qtbot.keyClick(picker, Qt.Key.Key_Down)  # the keyboard emits `activated`, as a mouse pick does
    chosen = picker.current_profile()
    assert picker.currentIndex() == suggested + 1
    assert chosen is not None and picker.is_manual() and not picker.is_suggested()

    picker.url_changed("https://billing.example.com/v2/invoices")
    assert picker.current_profile() == chosen
    picker.url_changed("https://nowhere.example.com/")
    assert picker.current_profile() == chosen

    # Loading another request with no profile lets suggestions pick again.
    picker.select_identity(None)
    assert picker.current_profile() is None  # the last URL matched nothing
    assert not picker.is_manual()
    picker.url_changed("https://api.github.com/")
    assert picker.current_profile().name == "GitHub (mine)"


def test_choosing_no_profile_by_hand_is_respected(picker: ProfilePicker, qtbot) -> None:
    picker.url_changed("https://api.github.com/user")
    assert picker.current_profile() is not None
    picker.setCurrentIndex(0)
    picker.activated.emit(0)  # what QComboBox emits when the user picks an entry
    picker.url_changed("https://api.github.com/repos")
    assert picker.current_profile() is None


def test_select_identity_counts_as_a_choice(picker: ProfilePicker, folders) -> None:
    _, team = folders
    picker.select_identity(str(team / "github"))
    assert picker.current_profile().name == "GitHub (team)"
    assert picker.currentData() == str(team / "github")  # what RequestSpec.profile holds
    picker.url_changed("https://api.github.com/user")
    assert picker.current_profile().name == "GitHub (team)"
    # An identity that is gone (a request from history) is no choice: the URL's suggestion applies.
    picker.select_identity(str(team / "no-such-file"))
    assert picker.current_profile().name == "GitHub (mine)"
    assert picker.is_suggested() and not picker.is_manual()


def test_reload_keeps_the_selection_and_adds_new_files(picker: ProfilePicker, model, folders, qtbot) -> None:
    _, team = folders
    picker.select_identity(str(team / "github"))
    write(team, "zeta", bearer("Zeta", "https://zeta.example.com"))
    assert model.poll()
    assert any(t.startswith("Zeta — ") for t in texts(picker))
    assert picker.current_profile().name == "GitHub (team)"
    assert not model.poll()  # nothing changed since

    # The chosen profile's file is removed: the picker says so with profile_changed(None).
    (team / "github.toml").unlink()
    with qtbot.waitSignal(picker.profile_changed) as blocker:
        model.poll()
    assert blocker.args == [None]
    assert picker.current_profile() is None


def test_the_suggested_hint_is_drawn(picker: ProfilePicker, qtbot) -> None:
    picker.resize(picker.sizeHint())
    picker.show()
    qtbot.waitExposed(picker)
    plain = picker.grab().toImage()
    picker.url_changed("https://api.github.com/user")
    suggested = picker.grab().toImage()
    picker.select_identity(picker.currentData())  # same profile, now a choice: no hint
    chosen = picker.grab().toImage()
    assert suggested != chosen and plain != suggested
    Path("/tmp/ui-shots").mkdir(parents=True, exist_ok=True)
    picker.grab().save("/tmp/ui-shots/profile-picker-chosen.png")
