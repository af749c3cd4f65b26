"""The collections sidebar and its model on real folders: load off the UI thread, filter, open, rename,
duplicate, move by drop, delete and undo, new folder, broken files, changes on disk, environments."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from workbench_support import loaded_model, make_collection, write

from inspector.core.collections.capture import saved_from_spec
from inspector.core.collections.model import CollectionConflict, CollectionError
from inspector.core.collections.store import (
    Source,
    create_collection,
    create_folder,
    new_request,
    save_request,
)
from inspector.core.request import RequestSpec
from inspector.ui.collections_model import CollectionsModel, path_key
from inspector.ui.collections_tree import REQUEST_MIME, CollectionsTree, EnvironmentPicker


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    return make_collection(tmp_path / "team")


@pytest.fixture
def tree(qtbot, shop: Path):
    model = loaded_model(qtbot, shop.parent)
    widget = CollectionsTree(model)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    model.stop()


def test_the_tree_shows_collections_folders_and_requests_in_order(tree: CollectionsTree, shop: Path) -> None:
    assert tree.visible_requests() == ["List orders", "Create order", "Ping"]
    top = tree.item_for(shop)
    assert top is not None and top.text() == "Shop"  # two environments: none is chosen for the user
    assert tree.item_for(shop / "orders").text() == "Orders"
    assert tree.item_for(shop / "orders" / "create-order.toml").text() == "POST  Create order"


def test_a_big_collection_loads_on_a_worker_and_filters_at_once(qtbot, tmp_path: Path) -> None:
    root = tmp_path / "big"
    create_collection(root, "Big")
    for f in range(20):
        folder = create_folder(root, f"folder {f}")
        for i in range(100):
            save_request(new_request(folder.path, f"request {f}-{i}", url=f"{{{{base_url}}}}/items/{f}/{i}"))
    model = CollectionsModel([Source(root, "team")])
    tree = CollectionsTree(model)
    qtbot.addWidget(tree)
    model.start(watch=False)
    # start() returned before anything was read: the loading is a job, the tree says so meanwhile
    assert not model.is_loaded(root)
    qtbot.waitUntil(lambda: model.is_loaded(root), timeout=30_000)
    assert len(tree.visible_requests()) == 2000
    tree.filter_edit.setText("request 7-5")  # no timer: the rows are filtered when setText returns
    shown = tree.visible_requests()
    assert len(shown) == 11 and set(shown) == {"request 7-5", *(f"request 7-5{n}" for n in range(10))}
    tree.filter_edit.setText("items/3/1")  # the URL matches too
    assert len(tree.visible_requests()) == 11
    tree.filter_edit.setText("folder 12")  # a folder's name finds its requests
    assert len(tree.visible_requests()) == 100
    tree.filter_edit.clear()
    assert len(tree.visible_requests()) == 2000
    model.stop()


def test_a_broken_file_is_shown_with_its_line_and_the_rest_loads(qtbot, shop: Path) -> None:
    write(shop / "orders" / "broken.toml", """
        format = 1
        name = "Broken"
        url = "no closing quote
    """)
    model = loaded_model(qtbot, shop)
    tree = CollectionsTree(model)
    qtbot.addWidget(tree)
    top = tree.item_for(shop)
    problems = [top.child(r) for r in range(top.rowCount()) if top.child(r).data(Qt.ItemDataRole.UserRole + 1)
                == "problem"]
    assert len(problems) == 1
    assert "broken.toml, line 3" in problems[0].text()
    assert "line 3" in problems[0].toolTip() and "not valid TOML" in problems[0].toolTip()
    assert tree.visible_requests() == ["List orders", "Create order", "Ping"]
    model.stop()


def test_activating_a_request_asks_to_open_it(qtbot, tree: CollectionsTree, shop: Path) -> None:
    path = shop / "ping.toml"
    assert tree.select_path(path)
    with qtbot.waitSignal(tree.open_requested) as blocker:
        tree.open_action.trigger()
    assert blocker.args == [path, False]
    with qtbot.waitSignal(tree.open_requested) as blocker:
        tree.open_new_tab_action.trigger()
    assert blocker.args == [path, True]


def test_rename_renames_the_file_and_tells_open_tabs(qtbot, tree: CollectionsTree, shop: Path) -> None:
    old = shop / "ping.toml"
    tree.select_path(old)
    tree.ask_text = lambda title, label, default: "Health check"
    with qtbot.waitSignal(tree.request_moved) as blocker:
        tree.rename_action.trigger()
    assert blocker.args[0] == old
    assert blocker.args[1].path == shop / "health-check.toml"
    assert not old.exists() and (shop / "health-check.toml").exists()
    # the collection is read again on a worker: then the tree shows the new name, selected
    qtbot.waitUntil(lambda: tree.view.currentIndex().data(Qt.ItemDataRole.UserRole + 5) == "Health check")
    assert "Health check" in tree.visible_requests() and "Ping" not in tree.visible_requests()


def test_duplicate_and_new_folder(qtbot, tree: CollectionsTree, shop: Path) -> None:
    tree.select_path(shop / "orders" / "create-order.toml")
    tree.duplicate_action.trigger()
    assert (shop / "orders" / "create-order-copy.toml").exists()
    assert "team_note" in (shop / "orders" / "create-order-copy.toml").read_text()  # unknown keys kept
    qtbot.waitUntil(lambda: tree.view.currentIndex().data(Qt.ItemDataRole.UserRole + 5) == "Create order (copy)")
    assert "Create order (copy)" in tree.visible_requests()
    tree.select_path(shop)
    tree.ask_text = lambda *_: "Refunds"
    tree.new_folder_action.trigger()
    assert (shop / "refunds" / "folder.toml").exists()
    qtbot.waitUntil(lambda: tree.item_for(shop / "refunds") is not None)
    assert tree.item_for(shop / "refunds").text() == "Refunds"
    assert tree.view.currentIndex().data(Qt.ItemDataRole.UserRole + 5) == "Refunds"  # selected once shown


def test_new_request_is_created_in_the_selected_folder_and_opened(qtbot, tree: CollectionsTree,
                                                                  shop: Path) -> None:
    tree.select_path(shop / "orders")
    tree.ask_text = lambda *_: "Cancel order"
    with qtbot.waitSignal(tree.open_requested) as blocker:
        tree.new_request_action.trigger()
    path = shop / "orders" / "cancel-order.toml"
    assert blocker.args == [path, True]
    assert 'url = "{{base_url}}/"' in path.read_text()


def test_a_dropped_request_moves_to_the_folder(qtbot, tree: CollectionsTree, shop: Path) -> None:
    source = shop / "ping.toml"
    tree.view.expandAll()
    target = tree.proxy.mapFromSource(tree.item_for(shop / "orders").index())
    pos = tree.view.visualRect(target).center()
    mime = QMimeData()
    mime.setData(REQUEST_MIME, QByteArray(str(source).encode()))
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    # Qt delivers a drop to the widget that accepted the drag's enter, as during a real drag
    enter = QDragEnterEvent(pos, Qt.DropAction.MoveAction, mime, buttons, keys)
    QApplication.sendEvent(tree.view.viewport(), enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(pos), Qt.DropAction.MoveAction, mime, buttons, keys)
    with qtbot.waitSignal(tree.request_moved) as blocker:
        QApplication.sendEvent(tree.view.viewport(), drop)
    assert blocker.args[0] == source
    assert (shop / "orders" / "ping.toml").exists() and not source.exists()
    qtbot.waitUntil(lambda: tree.item_for(shop / "orders" / "ping.toml") is not None)
    assert tree.item_for(source) is None


def test_the_drag_carries_the_request_file(tree: CollectionsTree, shop: Path) -> None:
    item = tree.item_for(shop / "ping.toml")
    data = tree.items.mimeData([item.index()])
    assert bytes(data.data(REQUEST_MIME).data()).decode() == str(shop / "ping.toml")
    assert not tree.items.mimeData([tree.item_for(shop / "orders").index()]).hasFormat(REQUEST_MIME)


def test_delete_then_undo_brings_the_request_back(qtbot, tree: CollectionsTree, shop: Path) -> None:
    path = shop / "orders" / "create-order.toml"
    before = path.read_bytes()
    tree.select_path(path)
    with qtbot.waitSignal(tree.request_deleted) as blocker:
        tree.delete_action.trigger()
    assert blocker.args == [path]
    assert not path.exists()
    qtbot.waitUntil(lambda: "Create order" not in tree.visible_requests())
    tree.undo_action.trigger()
    assert path.read_bytes() == before
    qtbot.waitUntil(lambda: "Create order" in tree.visible_requests())


def test_delete_a_folder_then_undo(qtbot, tree: CollectionsTree, shop: Path) -> None:
    tree.select_path(shop / "orders")
    deleted = []
    tree.request_deleted.connect(deleted.append)
    tree.delete_action.trigger()
    assert not (shop / "orders").exists()
    assert sorted(p.name for p in deleted) == ["create-order.toml", "list-orders.toml"]
    qtbot.waitUntil(lambda: tree.visible_requests() == ["Ping"])
    tree.undo_delete()
    qtbot.waitUntil(lambda: tree.visible_requests() == ["List orders", "Create order", "Ping"])
    assert (shop / "orders" / "folder.toml").exists()


def test_a_change_on_disk_updates_the_tree(qtbot, shop: Path) -> None:
    model = loaded_model(qtbot, shop.parent, poll_ms=50)
    tree = CollectionsTree(model)
    qtbot.addWidget(tree)
    model.start()  # polling
    write(shop / "orders" / "refund.toml", """
        name = "Refund"
        url = "{{base_url}}/refund"
    """)
    qtbot.waitUntil(lambda: "Refund" in tree.visible_requests(), timeout=10_000)
    (shop / "ping.toml").unlink()
    qtbot.waitUntil(lambda: "Ping" not in tree.visible_requests(), timeout=10_000)
    other = make_collection(shop.parent / "more")  # a collection folder appears (a git clone)
    os.rename(other, shop.parent / "shop-2")
    write(shop.parent / "shop-2" / "collection.toml", 'name = "Shop two"\n')
    qtbot.waitUntil(lambda: any(r.name == "Shop two" for r in model.refs), timeout=10_000)
    model.stop()


def test_a_save_that_would_overwrite_a_change_on_disk_is_a_conflict(qtbot, shop: Path) -> None:
    model = loaded_model(qtbot, shop)
    located = model.find(shop / "ping.toml")
    (shop / "ping.toml").write_text('name = "Ping"\nurl = "{{base_url}}/changed"\n')
    edited = saved_from_spec(RequestSpec(url="{{base_url}}/mine"), base=located.request)
    with pytest.raises(CollectionConflict):
        model.save(edited)
    assert "changed" in (shop / "ping.toml").read_text()
    model.save(edited, overwrite=True)
    assert "mine" in (shop / "ping.toml").read_text()
    model.stop()


def test_a_literal_secret_is_refused_on_save(qtbot, shop: Path) -> None:
    from inspector.core.request import Header

    model = loaded_model(qtbot, shop)
    located = model.find(shop / "ping.toml")
    spec = RequestSpec(url="{{base_url}}/ping", headers=(Header("Authorization", "Bearer abcdef123456"),))
    with pytest.raises(CollectionError, match="literal secret"):
        model.save(saved_from_spec(spec, base=located.request))
    assert "Authorization" not in (shop / "ping.toml").read_text()
    model.stop()


def test_a_read_only_collection_is_never_written(qtbot, shop: Path) -> None:
    model = loaded_model(qtbot, shop, read_only=[shop])
    located = model.find(shop / "ping.toml")
    with pytest.raises(CollectionError, match="Save as"):
        model.save(saved_from_spec(RequestSpec(url="{{base_url}}/x"), base=located.request))
    with pytest.raises(CollectionError):
        model.delete(shop / "ping.toml")
    model.stop()


def test_the_environment_picker_chooses_for_the_collection(qtbot, tree: CollectionsTree, shop: Path) -> None:
    model = tree.model
    picker = EnvironmentPicker(model)
    qtbot.addWidget(picker)
    picker.set_root(shop)
    assert [picker.itemText(i) for i in range(picker.count())] == ["No environment", "local", "other"]
    assert model.environment_name(shop) is None  # two environments: the user picks
    with qtbot.waitSignal(model.environment_changed):
        picker.choose("local")
    assert model.environment(shop).vars["base_url"] == "http://127.0.0.1:9"
    assert tree.item_for(shop).text() == "Shop  ·  local"
    other = EnvironmentPicker(model)  # a second tab on the same collection follows
    qtbot.addWidget(other)
    other.set_root(shop)
    assert other.current_name() == "local"
    picker.choose(None)
    assert other.current_name() is None


def test_an_environment_patch_is_for_this_run_only(qtbot, shop: Path) -> None:
    model = loaded_model(qtbot, shop)
    model.patch_environment(shop, "local", {"base_url": "http://127.0.0.1:4444"})
    model.set_environment(shop, "local")
    assert model.environment(shop).vars["base_url"] == "http://127.0.0.1:4444"
    assert "9" in (shop / "environments" / "local.toml").read_text()
    model.load_now(shop)  # a reload keeps it
    assert model.environment(shop).vars["base_url"] == "http://127.0.0.1:4444"
    model.stop()


def test_window_folders_are_added_and_reported(qtbot, tmp_path: Path, tree: CollectionsTree) -> None:
    extra = make_collection(tmp_path / "elsewhere")
    with qtbot.waitSignal(tree.sources_changed) as blocker:
        assert tree.add_source(str(extra))
    assert blocker.args == [[str(extra)]]
    qtbot.waitUntil(lambda: tree.model.is_loaded(extra), timeout=10_000)
    assert path_key(extra) in {path_key(r) for r in tree.model.roots()}
    assert not tree.add_source(str(extra))


def test_saving_a_request_updates_the_model_without_reading_the_collection_again(qtbot, shop: Path,
                                                                                  monkeypatch) -> None:
    """A save puts the written request over its old self in memory (one file must not make the UI thread
    parse the whole collection); the tree and find() see the new version at once, its folder is kept."""
    import threading

    from inspector.ui import collections_model

    model = loaded_model(qtbot, shop)
    reads: list[bool] = []
    real_load = collections_model.load_collection

    def load(root: Path):  # the real reader; notes the thread it ran on
        reads.append(threading.current_thread() is threading.main_thread())
        return real_load(root)

    monkeypatch.setattr(collections_model, "load_collection", load)
    located = model.find(shop / "ping.toml")
    assert located is not None
    loaded: list[object] = []
    model.collection_loaded.connect(loaded.append)
    written = model.save(saved_from_spec(RequestSpec(url="{{base_url}}/pong"), base=located.request))
    assert reads == []  # nothing re-read on this thread
    again = model.find(shop / "ping.toml")
    assert again is not None and again.request.url == "{{base_url}}/pong" and again.request == written
    assert loaded == [shop]  # the tree is told
    orders = next(p for p in sorted(shop.rglob("*.toml")) if p.parent.name == "orders")
    inner = model.find(orders)
    assert inner is not None and [f.name for f in inner.parents]  # a request in a folder is still found in it
    edited = model.save(saved_from_spec(RequestSpec(url="{{base_url}}/o2"), base=inner.request))
    found = model.find(orders)
    assert reads == [] and found is not None and found.request == edited
    assert [f.name for f in found.parents] == [f.name for f in inner.parents]
    model.stop()


@pytest.mark.parametrize("change", ["new request", "new folder", "rename", "duplicate", "move", "delete", "undo"])
def test_a_change_made_here_reads_the_collection_again_on_a_worker(qtbot, shop: Path, monkeypatch,
                                                                    change: str) -> None:
    """Creating, renaming, copying, moving or deleting a file of a collection reads the collection again off
    the UI thread (parsing 300 requests took it some 50 ms); collection_loaded says when the change shows."""
    import threading

    from inspector.core.collections.store import new_request
    from inspector.ui import collections_model

    model = loaded_model(qtbot, shop)
    reads: list[bool] = []
    real_load = collections_model.load_collection

    def load(root: Path):  # the real reader; notes whether it ran on the UI thread
        reads.append(threading.current_thread() is threading.main_thread())
        return real_load(root)

    monkeypatch.setattr(collections_model, "load_collection", load)
    ping = shop / "ping.toml"
    if change == "undo":
        model.delete(ping)
        qtbot.waitUntil(lambda: model.find(ping) is None)
    with qtbot.waitSignal(model.collection_loaded, timeout=10_000):
        if change == "new request":
            model.save(new_request(shop / "orders", "Refund"))
        elif change == "new folder":
            model.new_folder(shop, "Refunds")
        elif change == "rename":
            model.rename(ping, "Health")
        elif change == "duplicate":
            model.duplicate(ping)
        elif change == "move":
            model.move(ping, shop / "orders")
        elif change == "delete":
            model.delete(ping)
        else:
            model.undo()
    assert reads and not any(reads)  # read again, never on this thread
    wanted = {"new request": shop / "orders" / "refund.toml", "rename": shop / "health.toml",
              "duplicate": shop / "ping-copy.toml", "move": shop / "orders" / "ping.toml", "undo": ping}
    if change in wanted:
        qtbot.waitUntil(lambda: model.find(wanted[change]) is not None)
    elif change == "new folder":
        qtbot.waitUntil(lambda: model.folder(shop / "refunds") is not None)
    else:
        qtbot.waitUntil(lambda: model.find(ping) is None)
    model.stop()


def test_a_row_renamed_away_cannot_be_copied_or_moved_before_the_tree_has_it(qtbot, shop: Path) -> None:
    """Until the collection has been read again the model still knows the old file: acting on it must not
    write the old request back under a new name."""
    model = loaded_model(qtbot, shop)
    ping = shop / "ping.toml"
    model.rename(ping, "Health")  # the re-read is on its way; find(ping) still answers from the old reading
    with pytest.raises(CollectionError, match="moved or deleted"):
        model.duplicate(ping)
    with pytest.raises(CollectionError, match="moved or deleted"):
        model.move(ping, shop / "orders")
    with pytest.raises(CollectionError, match="moved or deleted"):
        model.rename(ping, "Again")
    assert sorted(p.name for p in shop.glob("*.toml")) == ["collection.toml", "health.toml"]
    assert not (shop / "orders" / "ping.toml").exists()
    model.stop()


@pytest.mark.qt_log_ignore("does not support grabbing the keyboard")  # the offscreen platform, a popup
def test_right_click_menus_are_freed_once_closed(qtbot, tree: CollectionsTree) -> None:
    from PySide6.QtCore import QCoreApplication, QEvent, QPoint
    from PySide6.QtWidgets import QMenu

    from tests.support.qt import close_popup_soon

    before = len(tree.findChildren(QMenu))
    for _ in range(5):
        close_popup_soon()
        tree._context_menu(QPoint(5, 5))
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert len(tree.findChildren(QMenu)) == before
