"""The secret scan itself: it finds a planted secret wherever a widget can show text, and nothing in safe mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QStatusBar,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from inspector.core.history import HistoryStore
from inspector.ui.curl_dialog import CurlDialog
from inspector.ui.har_dialog import HarDialog, export_har
from inspector.ui.history_pane import HistoryPane
from inspector.ui.report_dialog import ReportDialog
from tests.support.samples import SECRETS, secret_diagnosis, secret_exchange
from tests.support.secret_scan import find_secrets, widget_texts

SECRET = "sk_live_PLANTED_0123456789abcdef"


def _plant_label(root: QWidget) -> None:
    label = QLabel(f"token: {SECRET}", root)
    label.setObjectName("planted")


def _plant_rich_label(root: QWidget) -> None:
    # a label that breaks the token with zero-width spaces and wraps part of it in markup
    QLabel(f"<b>{SECRET[:8]}</b>\u200b{SECRET[8:]}", root).setObjectName("planted")


def _plant_table_cell(root: QWidget) -> None:
    table = QTableWidget(3, 2, root)
    table.setObjectName("planted")
    table.setItem(2, 1, QTableWidgetItem(SECRET))


def _plant_table_tooltip(root: QWidget) -> None:
    table = QTableWidget(2, 2, root)
    table.setObjectName("planted")
    item = QTableWidgetItem("masked…")
    item.setToolTip(SECRET)
    table.setItem(1, 0, item)


def _plant_widget_tooltip(root: QWidget) -> None:
    button = QPushButton("Copy", root)
    button.setObjectName("planted")
    button.setToolTip(f"Copies {SECRET}")


def _plant_combo_item(root: QWidget) -> None:
    combo = QComboBox(root)
    combo.setObjectName("planted")
    combo.addItems(["first", SECRET, "third"])  # not the current item: still one click away


def _plant_text_edit(root: QWidget) -> None:
    QTextBrowser(root).setObjectName("planted")
    root.findChild(QTextBrowser, "planted").setHtml(f"<p>Authorization: Bearer <i>{SECRET}</i></p>")


def _plant_plain_text_edit(root: QWidget) -> None:
    edit = QPlainTextEdit(root)
    edit.setObjectName("planted")
    edit.setPlainText(f"curl -H 'Authorization: Bearer {SECRET}'")


def _plant_line_edit(root: QWidget) -> None:
    edit = QLineEdit(root)
    edit.setObjectName("planted")
    edit.setText(SECRET)


def _plant_tree_child(root: QWidget) -> None:
    model = QStandardItemModel(root)
    parent = QStandardItem("headers")
    parent.appendRow([QStandardItem("Authorization"), QStandardItem(SECRET)])
    model.appendRow(parent)
    tree = QTreeView(root)
    tree.setObjectName("planted")
    tree.setModel(model)


def _plant_list_item(root: QWidget) -> None:
    lst = QListWidget(root)
    lst.setObjectName("planted")
    lst.addItems(["a", f"b {SECRET}"])


def _plant_tab_text(root: QWidget) -> None:
    tabs = QTabWidget(root)
    tabs.setObjectName("planted")
    tabs.addTab(QWidget(), "Body")
    tabs.addTab(QWidget(), SECRET)


def _plant_tab_tooltip(root: QWidget) -> None:
    tabs = QTabWidget(root)
    tabs.setObjectName("planted")
    tabs.addTab(QWidget(), "Headers")
    tabs.setTabToolTip(0, SECRET)


def _plant_window_title(root: QWidget) -> None:
    window = QWidget(root, Qt.WindowType.Window)
    window.setObjectName("planted")
    window.setWindowTitle(f"Request to {SECRET}")


def _plant_group_title(root: QWidget) -> None:
    QGroupBox(SECRET, root).setObjectName("planted")


def _plant_header(root: QWidget) -> None:
    table = QTableWidget(1, 1, root)
    table.setObjectName("planted")
    table.setHorizontalHeaderLabels([SECRET])


def _plant_action(root: QWidget) -> None:
    holder = QWidget(root)
    holder.setObjectName("planted")
    holder.addAction(QAction(f"Use {SECRET}", holder))


def _plant_painted(root: QWidget) -> None:
    class Painted(QWidget):
        def visible_texts(self) -> list[str]:
            return ["exp", SECRET]

    Painted(root).setObjectName("planted")


def _plant_status_message(root: QWidget) -> None:
    bar = QStatusBar(root)
    bar.setObjectName("planted")
    bar.showMessage(f"Sent with {SECRET}")


def _plant_hidden_label(root: QWidget) -> None:
    label = QLabel(SECRET, root)
    label.setObjectName("planted")
    label.hide()


PLANTS: dict[str, tuple[Callable[[QWidget], None], str]] = {
    "label": (_plant_label, "QLabel[planted]/text"),
    "rich label": (_plant_rich_label, "QLabel[planted]/text"),
    "table cell": (_plant_table_cell, "QTableWidget[planted]/cell(2,1)/display"),
    "table tooltip": (_plant_table_tooltip, "QTableWidget[planted]/cell(1,0)/tooltip"),
    "widget tooltip": (_plant_widget_tooltip, "QPushButton[planted]/toolTip"),
    "combo item": (_plant_combo_item, "QComboBox[planted]/item(1)"),
    "text edit": (_plant_text_edit, "QTextBrowser[planted]/text"),
    "plain text edit": (_plant_plain_text_edit, "QPlainTextEdit[planted]/text"),
    "line edit": (_plant_line_edit, "QLineEdit[planted]/text"),
    "tree child": (_plant_tree_child, "QTreeView[planted]/cell(0,0)/cell(0,1)/display"),
    "list item": (_plant_list_item, "QListWidget[planted]/cell(1,0)/display"),
    "tab text": (_plant_tab_text, "QTabBar[qt_tabwidget_tabbar]/tab(1)"),
    "tab tooltip": (_plant_tab_tooltip, "QTabBar[qt_tabwidget_tabbar]/tab(0)/tooltip"),
    "window title": (_plant_window_title, "QWidget[planted]/windowTitle"),
    "group title": (_plant_group_title, "QGroupBox[planted]/title"),
    "header": (_plant_header, "QTableWidget[planted]/header-column(0)/display"),
    "action": (_plant_action, "QWidget[planted]/action(0)"),
    "painted": (_plant_painted, "Painted[planted]/painted(1)"),
    "status message": (_plant_status_message, "QStatusBar[planted]/message"),
    "hidden label": (_plant_hidden_label, "QLabel[planted]/text"),
}


def _root(qtbot) -> QWidget:
    root = QWidget()
    root.setObjectName("root")
    QVBoxLayout(root)
    root.layout().addWidget(QLabel("an ordinary label"))
    qtbot.addWidget(root)
    return root


@pytest.mark.parametrize("where", list(PLANTS))
def test_the_scan_finds_a_planted_secret(qtbot, where: str) -> None:
    plant, suffix = PLANTS[where]
    root = _root(qtbot)
    assert find_secrets(root, [SECRET]) == []  # nothing before planting: the scan does not find everything
    plant(root)
    root.show()
    hits = find_secrets(root, [SECRET])
    assert hits, f"the scan missed a secret in a {where}"
    assert any(path.startswith("QWidget[root]/") and path.endswith(suffix) for path, _ in hits), hits


def test_a_password_field_shows_bullets_not_the_secret(qtbot) -> None:
    root = _root(qtbot)
    edit = QLineEdit(root)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setText(SECRET)
    assert find_secrets(root, [SECRET]) == []


def test_visible_only_skips_hidden_widgets(qtbot) -> None:
    root = _root(qtbot)
    _plant_hidden_label(root)
    root.show()
    assert find_secrets(root, [SECRET]) and not find_secrets(root, [SECRET], visible_only=True)


def test_paths_name_each_widget_once_per_text(qtbot) -> None:
    root = _root(qtbot)
    _plant_table_cell(root)
    paths = [p for p, _ in widget_texts(root)]
    assert len(paths) == len(set(paths))
    assert "QWidget[root]/QLabel/text" in paths


# --- the widgets of this package, in screen-share-safe mode, with secrets loaded ----------------------------


@pytest.fixture
def loaded_widgets(qtbot, tmp_path: Path):
    """Every widget of the support-session work, each holding the secret exchange."""
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.add(secret_exchange(), secret_diagnosis())
    har = tmp_path / "clear.har"
    export_har([(secret_exchange(), secret_diagnosis())], har, include_secrets=True)  # a file full of secrets
    widgets: list[QWidget] = [
        HistoryPane(store, ask=lambda *a: True),
        ReportDialog(secret_exchange(), secret_diagnosis()),
        CurlDialog(secret_exchange(), ask=lambda *a: True),
        HarDialog(har),
    ]
    for w in widgets:
        qtbot.addWidget(w)
        w.show()
    yield widgets
    store.close()


def test_safe_mode_shows_no_secret_anywhere(qtbot, loaded_widgets: list[QWidget]) -> None:
    history, report, curl, har = loaded_widgets
    history.select_ids([1])
    curl.set_include_credentials(True)  # the one place that shows secrets on request
    har.select(0)
    har.explainer.credential_value.toggle.setChecked(True)
    assert find_secrets(curl, SECRETS.values()), "the scan must see the unmasked curl command"
    for widget in loaded_widgets:
        widget.set_screen_share_safe(True)
    for widget in loaded_widgets:
        assert find_secrets(widget, SECRETS.values()) == [], type(widget).__name__
    for fmt in ("markdown", "html"):
        report.set_format(fmt)
        assert find_secrets(report, SECRETS.values()) == []
