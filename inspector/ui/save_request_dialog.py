"""Save as… / Save to collection…: where a request goes (a collection or one of its folders) and its name.

    dialog = SaveRequestDialog(model, personal_dir, name="List invoices", folder=None)
    if dialog.exec():
        folder, name = dialog.destination()

A new collection can be made from the dialog (in the personal collections folder). Collections the app ships
(the demo) are not offered. The saving itself, and what happens to literal secrets, is `save_new_request`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core.collections.capture import LiftedSecret, lift_literal_secrets
from inspector.core.collections.model import Folder, SavedRequest, walk
from inspector.core.collections.secrecy import request_literal_secrets
from inspector.core.errors import InspectorError
from inspector.ui.collections_model import CollectionsModel, path_key
from inspector.ui.view_state import ViewState, plain_label

__all__ = ["SaveRequestDialog", "Saved", "save_new_request"]

PATH_ROLE = Qt.ItemDataRole.UserRole + 1

Ask = Callable[[str], bool]  # (question) -> yes


@dataclass(frozen=True)
class Saved:
    """A request written to a collection, and the credentials that became {{variables}} on the way."""

    request: SavedRequest
    lifted: tuple[LiftedSecret, ...] = ()

    def note(self) -> str:
        """What the user should do about the lifted credentials, or ""."""
        if not self.lifted:
            return ""
        names = ", ".join(f"{{{{{x.variable}}}}} ({x.where})" for x in self.lifted)
        return (f"Credentials are never kept in a collection file: {names} now stand in their place. Set "
                "them in an environment as references (${secret:KEY}, then `python main.py secrets set "
                "KEY`), or choose a profile for the request.")


def save_new_request(model: CollectionsModel, saved: SavedRequest, ask: Ask | None = None, *,
                     overwrite: bool = False) -> Saved | None:
    """Write saved (its path chosen); a literal credential in it is offered to become a {{variable}}
    (ask(question) -> True), else the save is refused with the store's sentence. None: the user declined."""
    found = request_literal_secrets(saved)
    lifted: tuple[LiftedSecret, ...] = ()
    if found:
        question = (f"{', '.join(found)} holds a credential, and collection files are shared: the credential "
                    "cannot be saved. Save the request with {{variables}} in its place?")
        if ask is not None and not ask(question):
            return None
        saved, lifted = lift_literal_secrets(saved)
    written = model.save(saved, overwrite=overwrite)
    return Saved(written, lifted)


class SaveRequestDialog(QDialog):
    """See the module text."""

    def __init__(self, model: CollectionsModel, personal_dir: Path, parent: QWidget | None = None, *,
                 name: str = "", folder: Path | None = None, view: ViewState | None = None,
                 title: str = "Save to collection") -> None:
        super().__init__(parent)
        self.setObjectName("saveRequestDialog")
        self.setWindowTitle(title)
        self.model = model
        self.personal_dir = Path(personal_dir)
        self.view_state = view or ViewState(self)
        self.ask_text: Callable[[str, str, str], str | None] = self._ask_text

        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name_edit = QLineEdit(name or "New request", self)
        self.name_edit.setObjectName("saveName")
        form.addRow("Name:", self.name_edit)
        layout.addLayout(form)
        layout.addWidget(plain_label("Save in:", self))
        self.places = QTreeWidget(self)
        self.places.setObjectName("savePlaces")
        self.places.setHeaderHidden(True)
        layout.addWidget(self.places, 1)
        self.message = plain_label("", self, name="saveMessage", wrap=True)
        layout.addWidget(self.message)
        standard = QDialogButtonBox.StandardButton
        buttons = QDialogButtonBox(standard.Save | standard.Cancel, self)
        self.new_collection_button = QPushButton("New collection…", self)
        self.new_collection_button.setObjectName("saveNewCollection")
        buttons.addButton(self.new_collection_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.new_collection_button.clicked.connect(lambda: self.new_collection())
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout.addWidget(buttons)
        self._fill(folder)
        self.resize(480, 460)

    def _fill(self, chosen: Path | None) -> None:
        self.places.clear()
        wanted = path_key(chosen) if chosen is not None else None
        first: QTreeWidgetItem | None = None
        selected: QTreeWidgetItem | None = None
        for ref in self.model.refs:
            if self.model.is_read_only(ref.root):
                continue
            top = QTreeWidgetItem([ref.name])
            top.setData(0, PATH_ROLE, str(ref.root))
            top.setToolTip(0, str(ref.root))
            self.places.addTopLevelItem(top)
            first = first or top
            if wanted == path_key(ref.root):
                selected = top
            collection = self.model.collection(ref.root)
            items: dict[str, QTreeWidgetItem] = {}
            for parents, item in walk(collection.items) if collection is not None else ():
                if not isinstance(item, Folder) or item.path is None:
                    continue
                above = items.get(str(parents[-1].path)) if parents else top
                row = QTreeWidgetItem([item.name])
                row.setData(0, PATH_ROLE, str(item.path))
                (above or top).addChild(row)
                items[str(item.path)] = row
                if wanted == path_key(item.path):
                    selected = row
        self.places.expandAll()
        target = selected or first
        if target is not None:
            self.places.setCurrentItem(target)
        self.save_button.setEnabled(target is not None)
        if target is None:
            self.message.setText("No collection to save in yet: make one with New collection….")

    def choose(self, folder: Path) -> bool:
        """Select a collection or folder (as a click does)."""
        wanted = path_key(folder)
        stack = [self.places.topLevelItem(i) for i in range(self.places.topLevelItemCount())]
        while stack:
            item = stack.pop()
            if item is None:
                continue
            if path_key(str(item.data(0, PATH_ROLE))) == wanted:
                self.places.setCurrentItem(item)
                self.save_button.setEnabled(True)
                return True
            stack += [item.child(i) for i in range(item.childCount())]
        return False

    def destination(self) -> tuple[Path, str] | None:
        """(the folder to save in, the name), or None when no place is chosen or the name is empty."""
        item = self.places.currentItem()
        name = self.name_edit.text().strip()
        if item is None or not name:
            return None
        return Path(str(item.data(0, PATH_ROLE))), name

    def new_collection(self, name: str | None = None) -> Path | None:
        """Make a collection in the personal folder and choose it."""
        name = name or self.ask_text("New collection", "Name of the collection:", "My requests")
        if not name or not name.strip():
            return None
        from inspector.core.collections.model import slug
        from inspector.core.collections.store import create_collection, free_name

        try:
            self.personal_dir.mkdir(parents=True, exist_ok=True)
            collection = create_collection(free_name(self.personal_dir, slug(name)), name)
        except (InspectorError, OSError) as exc:
            self.message.setText(str(exc))
            return None
        self.model.load_now(collection.root)
        self.model.refresh()
        self._fill(collection.root)
        return collection.root

    def _accept(self) -> None:
        if self.destination() is None:
            self.message.setText("Give the request a name and choose where to save it.")
            return
        self.accept()

    def _ask_text(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, default)
        return text if ok else None


def new_saved_request(folder: Path, name: str, saved: SavedRequest) -> SavedRequest:
    """saved as a new file in folder under a free name (it keeps no old file or fingerprint)."""
    from inspector.core.collections.store import new_request

    fresh = new_request(folder, name)
    return replace(saved, name=fresh.name, path=fresh.path, loaded=None)
