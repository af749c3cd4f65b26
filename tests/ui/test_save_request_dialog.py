"""Save to collection…: choosing the place, a new collection, and credentials turned into {{variables}}."""

from __future__ import annotations

import tomllib
from pathlib import Path

from workbench_support import loaded_model, make_collection

from inspector.core.collections.capture import saved_from_spec
from inspector.core.request import Header, RequestSpec
from inspector.ui.save_request_dialog import SaveRequestDialog, new_saved_request, save_new_request

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJl"


def test_the_dialog_offers_collections_and_folders_not_read_only_ones(qtbot, tmp_path: Path) -> None:
    shop = make_collection(tmp_path / "team")
    demo = make_collection(tmp_path / "shipped")
    model = loaded_model(qtbot, shop.parent, demo.parent, read_only=[demo])
    dialog = SaveRequestDialog(model, tmp_path / "personal", name="Captured", folder=shop / "orders")
    qtbot.addWidget(dialog)
    assert dialog.places.topLevelItemCount() == 1
    assert dialog.destination() == (shop / "orders", "Captured")
    assert dialog.choose(shop)
    dialog.name_edit.setText("  ")
    assert dialog.destination() is None
    model.stop()


def test_a_new_collection_is_made_in_the_personal_folder(qtbot, tmp_path: Path) -> None:
    shop = make_collection(tmp_path / "team")
    personal = tmp_path / "personal"
    model = loaded_model(qtbot, shop.parent)
    model.add_source(personal, "personal")
    dialog = SaveRequestDialog(model, personal, name="x")
    qtbot.addWidget(dialog)
    root = dialog.new_collection("My requests")
    assert root == personal / "my-requests" and (root / "collection.toml").exists()
    assert dialog.destination() == (root, "x")
    model.stop()


def test_a_captured_credential_becomes_a_variable_when_the_user_agrees(qtbot, tmp_path: Path) -> None:
    shop = make_collection(tmp_path / "team")
    model = loaded_model(qtbot, shop.parent)
    spec = RequestSpec(url="http://127.0.0.1:9/orders", headers=(Header("Authorization", f"Bearer {JWT}"),))
    saved = new_saved_request(shop / "orders", "From history", saved_from_spec(spec, name="From history"))
    questions: list[str] = []
    assert save_new_request(model, saved, lambda q: questions.append(q) or False) is None
    assert "header 'Authorization'" in questions[0]
    assert not (shop / "orders" / "from-history.toml").exists()
    done = save_new_request(model, saved, lambda q: True)
    assert done is not None and [x.variable for x in done.lifted] == ["authorization"]
    text = (shop / "orders" / "from-history.toml").read_text()
    assert JWT not in text
    assert tomllib.loads(text)["headers"][0]["value"] == "Bearer {{authorization}}"
    assert "{{authorization}}" in done.note()
    # a new file: the model has it once its collection has been read again (on a worker)
    qtbot.waitUntil(lambda: model.find(shop / "orders" / "from-history.toml") is not None)
    model.stop()
