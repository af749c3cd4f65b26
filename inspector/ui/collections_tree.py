"""The collections sidebar: every collection the window sees, their folders and requests, and a filter.

    tree = CollectionsTree(model, view=view_state)      # model: ui.collections_model.CollectionsModel
    tree.open_requested        Signal(Path, bool): open a request file (True: in a new tab)
    tree.request_moved         Signal(Path, object): a request's file moved or was renamed (old path, new
                               SavedRequest): open tabs follow it
    tree.request_deleted       Signal(Path): a request's file was deleted here
    tree.import_requested      Signal(): File > Import… from the tree's menu
    tree.sources_changed       Signal(list): the folders added in the window (for the window's settings)

Open, rename, duplicate, move by drag, delete (undo brings it back), new request, new folder, export, the
environment of a collection: from the context menu and keys. Every change goes through the model, which writes
through core.collections.store. Questions (a name, a folder) go through `ask_text` / `choose_folder` /
`choose_save_path`, which tests replace.

The tree is rebuilt per collection when it is (re)loaded, keeping what was expanded and selected. The filter
is applied at once (no timer) by a proxy over the items: a request matches by name, method or URL, and the
folders above a match stay visible.

EnvironmentPicker is the combo box that chooses a collection's environment (shown in each request tab).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QInputDialog,
    QLineEdit,
    QMenu,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from inspector.core.collections.model import CollectionError, Folder, Item, SavedRequest
from inspector.core.errors import InspectorError
from inspector.ui.collections_model import CollectionsModel, path_key
from inspector.ui.view_state import ViewState, plain_tip

__all__ = ["CollectionsTree", "EnvironmentPicker", "NO_ENVIRONMENT", "REQUEST_MIME"]

KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # "collection" | "folder" | "request" | "problem" | "loading"
PATH_ROLE = Qt.ItemDataRole.UserRole + 2  # str: the request file, the folder, the collection root
ROOT_ROLE = Qt.ItemDataRole.UserRole + 3  # str: the collection's root
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 4  # str: what the filter matches, case-folded
NAME_ROLE = Qt.ItemDataRole.UserRole + 5  # str: the display name alone
TIP_ROLE = Qt.ItemDataRole.UserRole + 6  # str: a request's tool tip before masking
REQUEST_MIME = "application/x-request-inspector-request"
NO_ENVIRONMENT = "No environment"
_SELECTABLE = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

AskText = Callable[[str, str, str], "str | None"]  # (title, label, default) -> text or None
ChooseFolder = Callable[[str], "str | None"]
ChooseSavePath = Callable[[str, str], "str | None"]  # (caption, suggested name) -> path or None


class _Items(QStandardItemModel):
    """The items, with request rows dragged as their file path (never moved by Qt itself); a request's tool
    tip is made when asked for (masked then), not for every row when the tree is built."""

    def __init__(self, parent: QWidget, mask: Callable[[str], str]) -> None:
        super().__init__(parent)
        self._mask = mask

    def data(self, index: QModelIndex | QPersistentModelIndex,  # type: ignore[override]
             role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.ToolTipRole and index.data(KIND_ROLE) == "request":
            tip = super().data(index, TIP_ROLE)
            return plain_tip(self._mask(str(tip))) if tip else None
        return super().data(index, role)

    def mimeTypes(self) -> list[str]:
        return [REQUEST_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        data = QMimeData()
        paths = [str(i.data(PATH_ROLE)) for i in indexes if i.data(KIND_ROLE) == "request"]
        if paths:
            data.setData(REQUEST_MIME, QByteArray("\n".join(paths).encode("utf-8")))
        return data


class _Filter(QSortFilterProxyModel):
    """Rows whose search text holds the filter, with the folders above them. The matching is Qt's own (no
    Python per row), so thousands of rows filter within a frame; a request's search text holds its folders'
    names too, so a folder's name finds its requests."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.needle = ""
        self.setRecursiveFilteringEnabled(True)
        self.setFilterRole(SEARCH_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_needle(self, text: str) -> None:
        self.needle = text.strip()
        self.setFilterFixedString(self.needle)


class _TreeView(QTreeView):
    """Drops a dragged request on a folder (or a request of that folder, or a collection)."""

    dropped = Signal(list, object)  # [request file paths], target folder Path

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(REQUEST_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(REQUEST_MIME) and self.target_folder(event.position().toPoint()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        target = self.target_folder(event.position().toPoint())
        if not mime.hasFormat(REQUEST_MIME) or target is None:
            event.ignore()
            return
        paths = [Path(p) for p in bytes(mime.data(REQUEST_MIME).data()).decode("utf-8").splitlines() if p]
        # the move is done by the model, on disk; Qt must not move the rows itself
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        self.dropped.emit(paths, target)

    def target_folder(self, pos: QPoint) -> Path | None:
        index = self.indexAt(pos)
        if not index.isValid():
            return None
        kind = index.data(KIND_ROLE)
        path = index.data(PATH_ROLE)
        if kind in ("folder", "collection") and path:
            return Path(str(path))
        if kind == "request" and path:
            return Path(str(path)).parent
        return None


class CollectionsTree(QWidget):
    """The sidebar of collections; see the module text."""

    open_requested = Signal(object, bool)  # Path of the request file, in a new tab
    request_moved = Signal(object, object)  # old Path, the SavedRequest now
    request_deleted = Signal(object)  # Path
    import_requested = Signal()
    sources_changed = Signal(list)  # [str]: the folders added in the window

    def __init__(self, model: CollectionsModel, parent: QWidget | None = None, *,
                 view: ViewState | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("collectionsTree")
        self.model = model
        self.view_state = view or ViewState(self)
        self.ask_text: AskText = self._ask_text
        self.choose_folder: ChooseFolder = self._choose_folder
        self.choose_save_path: ChooseSavePath = self._choose_save_path
        self.window_sources: list[str] = []  # the folders added here, kept in the window's settings
        self._items: dict[str, QStandardItem] = {}  # collection root key -> its top-level item
        self._rows: dict[str, QStandardItem] = {}  # str(path) -> its item (requests, folders, collections)
        self._when_loaded: tuple[Path, bool] | None = None  # see select_later: (path, open it)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("collectionsFilter")
        self.filter_edit.setPlaceholderText("Filter requests (name, method, URL)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.set_filter)
        layout.addWidget(self.filter_edit)

        self.items = _Items(self, self.view_state.mask)
        self.proxy = _Filter(self)
        self.proxy.setSourceModel(self.items)
        self.view = _TreeView(self)
        self.view.setObjectName("collectionsView")
        self.view.setModel(self.proxy)
        self.view.setHeaderHidden(True)
        self.view.setUniformRowHeights(True)  # thousands of rows: no per-row size computation
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragEnabled(True)
        self.view.setAcceptDrops(True)
        self.view.setDropIndicatorShown(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.activated.connect(lambda index: self._open(index, False))
        self.view.dropped.connect(self._on_dropped)
        layout.addWidget(self.view, 1)

        self._build_actions()
        model.collections_changed.connect(self._sync_collections)
        model.collection_loaded.connect(self._on_loaded)
        model.environment_changed.connect(self._on_loaded)
        model.load_failed.connect(self._on_load_failed)
        self._sync_collections()
        for root in model.roots():
            if model.is_loaded(root):
                self._on_loaded(root)

    # -- actions -----------------------------------------------------------------------------------------
    def _action(self, text: str, slot: Callable[[], object], keys: tuple[str, ...] = (),
                tip: str = "") -> QAction:
        act = QAction(text, self)
        act.setShortcuts([QKeySequence(k) for k in keys])
        # keys work while the tree has focus: F2 or Del in an editor elsewhere are that editor's
        act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        if tip:
            act.setToolTip(tip)
        act.triggered.connect(lambda _checked=False: slot())
        self.view.addAction(act)
        return act

    def _build_actions(self) -> None:
        self.open_action = self._action("Open", lambda: self._open(self.view.currentIndex(), False))
        self.open_new_tab_action = self._action("Open in a new tab",
                                                lambda: self._open(self.view.currentIndex(), True))
        self.new_request_action = self._action("New request…", self.new_request, ("Ctrl+N",))
        self.new_folder_action = self._action("New folder…", self.new_folder)
        self.rename_action = self._action("Rename…", self.rename_selected, ("F2",))
        self.duplicate_action = self._action("Duplicate", self.duplicate_selected, ("Ctrl+D",))
        self.delete_action = self._action("Delete", self.delete_selected, ("Del",),
                                          tip="Delete the request or folder (Undo brings it back)")
        self.undo_action = self._action("Undo delete", self.undo_delete, ("Ctrl+Z",))
        self.export_action = self._action("Export to Postman v2.1…", self.export_selected)
        self.reload_action = self._action("Reload from disk", self.reload_selected)
        self.import_action = self._action("Import…", self.import_requested.emit)
        self.add_source_action = self._action("Add a folder of collections…", self.add_source)

    # -- building the items ------------------------------------------------------------------------------
    def _sync_collections(self) -> None:
        """One top-level item per collection, in the model's order; new ones wait for their load."""
        wanted = [(path_key(ref.root), ref) for ref in self.model.refs]
        keys = {k for k, _ in wanted}
        for key in [k for k in self._items if k not in keys]:
            gone = self._items.pop(key)
            self.items.removeRow(gone.row())
        for row, (key, ref) in enumerate(wanted):
            item: QStandardItem | None = self._items.get(key)
            if item is None:
                item = QStandardItem(ref.name)
                item.setData("collection", KIND_ROLE)
                item.setData(str(ref.root), PATH_ROLE)
                item.setData(str(ref.root), ROOT_ROLE)
                item.setData(ref.name, NAME_ROLE)
                item.setData(ref.name, SEARCH_ROLE)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDropEnabled)
                self._items[key] = item
                self.items.insertRow(min(row, self.items.rowCount()), item)
                if not self.model.is_loaded(ref.root):
                    item.appendRow(self._plain("Loading…", "loading"))
            elif item.row() != row:
                taken = self.items.takeRow(item.row())
                self.items.insertRow(row, taken)
            tip = f"{ref.root}"
            if ref.problem is not None:
                tip += f"\n{ref.problem.message}"
            if self.model.is_read_only(ref.root):
                tip += "\nThis collection comes with the app: Save as… keeps your own copy."
            item.setToolTip(plain_tip(tip))

    def _plain(self, text: str, kind: str) -> QStandardItem:
        item = QStandardItem(text)
        item.setData(kind, KIND_ROLE)
        item.setData(text, SEARCH_ROLE)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        return item

    def _on_loaded(self, root: Path) -> None:
        key = path_key(root)
        top = self._items.get(key)
        collection = self.model.collection(root)
        if top is None or collection is None:
            return
        expanded, selected = self._view_state_under(top)
        env = self.model.environment_name(root)
        top.setText(f"{collection.name}  ·  {env}" if env else collection.name)
        top.setData(collection.name, NAME_ROLE)
        top.setData(collection.name, SEARCH_ROLE)
        top.removeRows(0, top.rowCount())
        prefix = str(root)
        for path in [p for p in self._rows if p == prefix or p.startswith(prefix + os.sep)]:
            del self._rows[path]
        self._rows[str(top.data(PATH_ROLE))] = top
        rows: list[QStandardItem] = []
        error = QBrush(QColor(self.view_state.theme.error_text))
        for problem in self.model.problems(root):
            where = f"{problem.path.name}, line {problem.line}" if problem.line else problem.path.name
            item = self._plain(f"⚠ {where}: cannot be read", "problem")
            item.setData(str(problem.path), PATH_ROLE)
            item.setData(str(root), ROOT_ROLE)
            item.setToolTip(plain_tip(problem.message))
            item.setForeground(error)
            rows.append(item)
        rows += self._build(collection.items, str(root), collection.name)
        if rows:
            top.appendRows(rows)
        self._restore_view_state(top, expanded, selected)
        if self.proxy.needle:
            self.view.expandAll()
        pending = self._when_loaded
        if pending is not None and self._waits_on(root):
            self._when_loaded = None  # once: a later reading must not take the selection back
            wanted, open_it = pending
            self.select_path(wanted)
            if open_it and self.model.find(wanted) is not None:
                self.open_requested.emit(wanted, True)

    def _build(self, items: tuple[Item, ...], root: str, above: str) -> list[QStandardItem]:
        """Items for a level, built iteratively: a deep tree cannot exhaust the recursion limit."""
        out: list[QStandardItem] = []
        stack: list[tuple[tuple[Item, ...], QStandardItem | None, str]] = [(items, None, above)]
        while stack:
            level, parent, names = stack.pop()
            made = []
            for item in level:
                row = self._item(item, root, names)
                made.append(row)
                if isinstance(item, Folder) and item.items:
                    stack.append((item.items, row, f"{names} / {item.name}"))
            if parent is None:
                out = made
            elif made:
                parent.appendRows(made)
        return out

    def _item(self, item: Item, root: str, above: str) -> QStandardItem:
        if isinstance(item, Folder):
            row = QStandardItem(item.name)
            row.setData("folder", KIND_ROLE)
            row.setData(str(item.path), PATH_ROLE)
            row.setData(f"{above} / {item.name}", SEARCH_ROLE)
            row.setFlags(_SELECTABLE | Qt.ItemFlag.ItemIsDropEnabled)
            if item.description:
                row.setToolTip(plain_tip(item.description))
        else:
            row = QStandardItem(f"{item.method}  {item.name}")
            row.setData("request", KIND_ROLE)
            row.setData(str(item.path), PATH_ROLE)
            row.setData(f"{above} / {item.name} {item.method} {item.url}", SEARCH_ROLE)
            row.setFlags(_SELECTABLE | Qt.ItemFlag.ItemIsDragEnabled)
            tip = f"{item.method} {item.url}"
            if item.description:
                tip += f"\n\n{item.description}"
            row.setData(tip, TIP_ROLE)
        row.setData(item.name, NAME_ROLE)
        row.setData(root, ROOT_ROLE)
        self._rows[str(item.path)] = row
        return row

    def _view_state_under(self, top: QStandardItem) -> tuple[set[str], str | None]:
        """The folders expanded (by path, as the tree spells it) and the row selected under a collection."""
        expanded: set[str] = set()
        stack = [top]
        while stack:
            item = stack.pop()
            index = self.proxy.mapFromSource(item.index())
            if index.isValid() and self.view.isExpanded(index):
                expanded.add(str(item.data(PATH_ROLE)))
            for row in range(item.rowCount()):
                child = item.child(row)
                if child is not None and child.data(KIND_ROLE) == "folder":
                    stack.append(child)
        current = self.proxy.mapToSource(self.view.currentIndex())
        selected = None
        if current.isValid() and current.data(ROOT_ROLE) == top.data(ROOT_ROLE) and current.data(PATH_ROLE):
            selected = str(current.data(PATH_ROLE))
        return expanded, selected

    def _restore_view_state(self, top: QStandardItem, expanded: set[str], selected: str | None) -> None:
        for path in expanded:
            item = self._rows.get(path)
            if item is not None:
                self.view.setExpanded(self.proxy.mapFromSource(item.index()), True)
        item = self._rows.get(selected) if selected else None
        if item is not None:
            self.view.setCurrentIndex(self.proxy.mapFromSource(item.index()))

    def _on_load_failed(self, root: Path, message: str) -> None:
        if self._waits_on(root):
            self._when_loaded = None
        top = self._items.get(path_key(root))
        if top is not None:
            top.removeRows(0, top.rowCount())
            top.appendRow(self._plain(f"⚠ {message}", "problem"))

    # -- finding rows ------------------------------------------------------------------------------------
    def item_for(self, path: Path) -> QStandardItem | None:
        """The item (request, folder or collection) for a path."""
        found = self._rows.get(str(path))
        if found is not None:
            return found
        key = path_key(path)
        stack = [self.items.item(r) for r in range(self.items.rowCount())]
        while stack:
            item = stack.pop()
            if item is None:
                continue
            p = item.data(PATH_ROLE)
            if p and path_key(str(p)) == key and item.data(KIND_ROLE) != "problem":
                return item
            stack += [item.child(r) for r in range(item.rowCount())]
        return None

    def _waits_on(self, root: Path) -> bool:
        """Whether a select_later waits for this collection to be read."""
        pending = self._when_loaded
        held = self.model.root_of(pending[0]) if pending is not None else None
        return held is not None and path_key(held) == path_key(root)

    def select_later(self, path: Path, *, open_it: bool = False) -> None:
        """Select the row for path (and, with open_it, open it in a new tab) now, or once its collection has
        been read again: a file just created, renamed or copied shows when the model's worker has read it."""
        if self.select_path(path) and (not open_it or self.model.find(path) is not None):
            self._when_loaded = None
            if open_it:
                self.open_requested.emit(Path(path), True)
        else:
            self._when_loaded = (Path(path), open_it)

    def select_path(self, path: Path) -> bool:
        """Show and select the row for path; False when it is not in the tree (or filtered out)."""
        item = self.item_for(path)
        if item is None:
            return False
        index = self.proxy.mapFromSource(item.index())
        if not index.isValid():
            return False
        self.view.scrollTo(index)
        self.view.setCurrentIndex(index)
        return True

    def visible_requests(self) -> list[str]:
        """The names of the requests the filter lets through, top to bottom (for tests and the status)."""
        out: list[str] = []
        stack: list[QModelIndex] = [QModelIndex()]
        while stack:  # depth first, in display order
            parent = stack.pop()
            if parent.isValid() and parent.data(KIND_ROLE) == "request":
                out.append(str(parent.data(NAME_ROLE)))
            stack += [self.proxy.index(r, 0, parent) for r in reversed(range(self.proxy.rowCount(parent)))]
        return out

    def _selected(self) -> tuple[str | None, Path | None, Path | None]:
        """(kind, path, collection root) of the current row."""
        index = self.view.currentIndex()
        if not index.isValid():
            return None, None, None
        kind = index.data(KIND_ROLE)
        path = index.data(PATH_ROLE)
        root = index.data(ROOT_ROLE)
        return (str(kind) if kind else None, Path(str(path)) if path else None,
                Path(str(root)) if root else None)

    def _target_folder(self) -> Path | None:
        kind, path, _root = self._selected()
        if kind in ("folder", "collection"):
            return path
        if kind == "request" and path is not None:
            return path.parent
        roots = self.model.roots()
        return roots[0] if roots else None

    # -- filter ------------------------------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        """Show only the requests matching text (at once: no timer), with the folders above them."""
        if self.filter_edit.text() != text:
            self.filter_edit.setText(text)  # comes back here through textChanged
            return
        self.proxy.set_needle(text)
        if text.strip():
            self.view.expandAll()

    # -- doing -------------------------------------------------------------------------------------------
    def _tell(self, text: str, level: str = "info") -> None:
        self.view_state.post(text, level=level)  # type: ignore[arg-type]

    def _open(self, index: QModelIndex, new_tab: bool) -> None:
        if index.isValid() and index.data(KIND_ROLE) == "request":
            self.open_requested.emit(Path(str(index.data(PATH_ROLE))), new_tab)

    def new_request(self) -> SavedRequest | None:
        """Ask for a name and create an empty GET request in the selected folder, then open it."""
        folder = self._target_folder()
        if folder is None:
            self._tell("Add or import a collection first: a request is saved in one.", "warning")
            return None
        name = self.ask_text("New request", "Name of the request:", "New request")
        if not name or not name.strip():
            return None
        from inspector.core.collections.store import new_request

        root = self.model.root_of(folder)
        collection = self.model.collection(root) if root is not None else None
        url = "{{base_url}}/" if collection is not None and self._has_base_url(root) else ""
        try:
            saved = self.model.save(new_request(folder, name, url=url))
        except InspectorError as exc:
            self._tell(str(exc), "error")
            return None
        if saved.path is not None:
            self.select_later(saved.path, open_it=True)
        return saved

    def _has_base_url(self, root: Path | None) -> bool:
        collection = self.model.collection(root) if root is not None else None
        if collection is None:
            return False
        return "base_url" in collection.vars or any("base_url" in e.vars for e in collection.environments)

    def new_folder(self) -> Folder | None:
        parent = self._target_folder()
        if parent is None:
            self._tell("Add or import a collection first: a folder is made in one.", "warning")
            return None
        name = self.ask_text("New folder", "Name of the folder:", "New folder")
        if not name or not name.strip():
            return None
        try:
            folder = self.model.new_folder(parent, name)
        except InspectorError as exc:
            self._tell(str(exc), "error")
            return None
        if folder.path is not None:
            self.select_later(folder.path)
        return folder

    def rename_selected(self) -> None:
        kind, path, _root = self._selected()
        if kind not in ("request", "folder") or path is None:
            return
        index = self.view.currentIndex()
        old = str(index.data(NAME_ROLE) or "")
        name = self.ask_text("Rename", "New name:", old)
        if not name or not name.strip() or name.strip() == old:
            return
        try:
            renamed = self.model.rename(path, name)
        except InspectorError as exc:
            self._tell(str(exc), "error")
            return
        if isinstance(renamed, SavedRequest):
            self.request_moved.emit(path, renamed)
            if renamed.path is not None:
                self.select_later(renamed.path)
        self._tell(f"Renamed to '{name.strip()}'.")

    def duplicate_selected(self) -> None:
        kind, path, _root = self._selected()
        if kind != "request" or path is None:
            return
        try:
            copy = self.model.duplicate(path)
        except InspectorError as exc:
            self._tell(str(exc), "error")
            return
        if copy.path is not None:
            self.select_later(copy.path)
        self._tell(f"Duplicated as '{copy.name}'.")

    def delete_selected(self) -> None:
        kind, path, _root = self._selected()
        if kind not in ("request", "folder") or path is None:
            return
        requests = self._requests_under(path) if kind == "folder" else [path]
        try:
            deleted = self.model.delete(path)
        except InspectorError as exc:
            self._tell(str(exc), "error")
            return
        for request in requests:
            self.request_deleted.emit(request)
        self._tell(f"Deleted {deleted.what}. Undo delete (Ctrl+Z in the collections) brings it back.")

    def _requests_under(self, folder: Path) -> list[Path]:
        key = path_key(folder)
        root = self.model.root_of(folder)
        collection = self.model.collection(root) if root is not None else None
        if collection is None:
            return []
        from inspector.core.collections.resolve import all_requests

        return [r.path for _ps, r in all_requests(collection)
                if r.path is not None and path_key(r.path).startswith(key + os.sep)]

    def undo_delete(self) -> None:
        try:
            restored = self.model.undo()
        except (InspectorError, OSError) as exc:
            self._tell(f"The delete could not be undone: {exc}", "error")
            return
        if restored is None:
            self._tell("Nothing to undo: no request or folder was deleted here.")
            return
        self._tell(f"Brought back {restored.what}.")

    def move_requests(self, paths: list[Path], folder: Path) -> list[SavedRequest]:
        """Move request files into folder (what a drop does); open tabs follow through request_moved."""
        moved = []
        for path in paths:
            try:
                done = self.model.move(path, folder)
            except InspectorError as exc:
                self._tell(str(exc), "error")
                continue
            if done.path is not None and path_key(done.path) != path_key(path):
                self.request_moved.emit(path, done)
                moved.append(done)
        if moved:
            where = self.model.folder(folder)
            ref = self.model.ref(folder)
            name = where.name if where is not None else (ref.name if ref is not None else folder.name)
            self._tell(f"Moved {len(moved)} request{'s' if len(moved) != 1 else ''} to '{name}'.")
        return moved

    def _on_dropped(self, paths: list[Path], folder: Path) -> None:
        self.move_requests(paths, folder)

    def reload_selected(self) -> None:
        _kind, _path, root = self._selected()
        for r in ([root] if root is not None else self.model.roots()):
            self.model.load(r)
        self.model.refresh()

    def export_selected(self) -> None:
        kind, path, root = self._selected()
        if root is None or path is None:
            return
        collection = self.model.collection(root)
        if collection is None:
            return
        from inspector.core.collections.export import to_postman

        folder = self.model.folder(path) if kind in ("folder", "request") else None
        if kind == "request":
            folder = self.model.folder(path.parent)
        name = (folder.name if folder is not None else collection.name)
        target = self.choose_save_path("Export to Postman v2.1", f"{name}.postman_collection.json")
        if not target:
            return
        try:
            exported = to_postman(collection, folder)
            Path(target).write_text(exported.text(), encoding="utf-8")
        except (InspectorError, OSError) as exc:
            self._tell(f"The export was not written: {exc}", "error")
            return
        notes = f" Note: {' '.join(exported.warnings)}" if exported.warnings else ""
        self._tell(f"Exported '{name}' to {target} (secrets stay references).{notes}")

    def add_source(self, path: str | None = None) -> bool:
        """Add a folder of collections (or one collection) to the window; kept in the window's settings."""
        chosen = path or self.choose_folder("A folder of collections, or one collection")
        if not chosen:
            return False
        if not self.model.add_source(Path(chosen)):
            self._tell(f"{chosen} is already one of the folders the window looks in.")
            return False
        self.window_sources.append(str(chosen))
        self.sources_changed.emit(list(self.window_sources))
        return True

    def set_environment(self, root: Path, name: str | None) -> None:
        self.model.set_environment(root, name)

    # -- menus -------------------------------------------------------------------------------------------
    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self.view.setCurrentIndex(index)
        menu = self.context_menu()
        menu.exec(self.view.viewport().mapToGlobal(pos))
        menu.deleteLater()  # a menu per right click, not kept by the pane all day

    def context_menu(self) -> QMenu:
        """The menu for the current row (also what a right click shows)."""
        kind, _path, root = self._selected()
        menu = QMenu(self)
        read_only = root is not None and self.model.is_read_only(root)
        if kind == "request":
            menu.addAction(self.open_action)
            menu.addAction(self.open_new_tab_action)
            menu.addSeparator()
            for act in (self.rename_action, self.duplicate_action, self.delete_action):
                act.setEnabled(not read_only)
                menu.addAction(act)
        elif kind in ("folder", "collection"):
            for act in (self.new_request_action, self.new_folder_action):
                act.setEnabled(not read_only)
                menu.addAction(act)
            if kind == "folder":
                for act in (self.rename_action, self.delete_action):
                    act.setEnabled(not read_only)
                    menu.addAction(act)
        if root is not None:
            collection = self.model.collection(root)
            if collection is not None and collection.environments:
                envs = menu.addMenu("Environment")
                chosen = self.model.environment_name(root)
                for name in [None, *(e.name for e in collection.environments)]:
                    act = envs.addAction(name or NO_ENVIRONMENT)
                    act.setCheckable(True)
                    act.setChecked(name == chosen)
                    act.triggered.connect(lambda _c=False, n=name, r=root: self.set_environment(r, n))
            menu.addSeparator()
            menu.addAction(self.export_action)
            menu.addAction(self.reload_action)
        menu.addSeparator()
        menu.addAction(self.undo_action)
        self.undo_action.setEnabled(bool(self.model.undo_stack))
        menu.addAction(self.import_action)
        menu.addAction(self.add_source_action)
        return menu

    # -- questions (tests replace these) -------------------------------------------------------------------
    def _ask_text(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, default)
        return text if ok else None

    def _choose_folder(self, caption: str) -> str | None:
        return QFileDialog.getExistingDirectory(self, caption) or None

    def _choose_save_path(self, caption: str, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self, caption, suggested, "JSON files (*.json)")
        return path or None


class EnvironmentPicker(QComboBox):
    """Chooses the environment of one collection (set_root); the choice is the collection's, shared by every
    tab open on it, and kept by the model."""

    def __init__(self, model: CollectionsModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("environmentPicker")
        self.setToolTip("The environment whose variables this collection's requests use")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._model: CollectionsModel | None = None
        self._root: Path | None = None
        self._filling = False
        self.activated.connect(self._on_activated)
        if model is not None:
            self.bind(model)

    def bind(self, model: CollectionsModel) -> None:
        if self._model is model:
            return
        self._model = model
        model.collection_loaded.connect(self._on_changed)
        model.environment_changed.connect(self._on_changed)
        self._fill()

    @property
    def root(self) -> Path | None:
        return self._root

    def set_root(self, root: Path | None) -> None:
        self._root = Path(root) if root is not None else None
        self._fill()

    def _on_changed(self, root: Path) -> None:
        if self._root is not None and path_key(root) == path_key(self._root):
            self._fill()

    def _fill(self) -> None:
        model, root = self._model, self._root
        collection = model.collection(root) if model is not None and root is not None else None
        self._filling = True
        try:
            self.clear()
            self.addItem(NO_ENVIRONMENT, None)
            if collection is not None and model is not None and root is not None:
                for env in collection.environments:
                    self.addItem(env.name, env.name)
                chosen = model.environment_name(root)
                index = self.findData(chosen) if chosen else 0
                self.setCurrentIndex(max(0, index))
        finally:
            self._filling = False
        self.setVisible(collection is not None)

    def current_name(self) -> str | None:
        data = self.currentData()
        return str(data) if data else None

    def choose(self, name: str | None) -> None:
        """Choose an environment (as the user does)."""
        index = self.findData(name) if name else 0
        if index >= 0:
            self.setCurrentIndex(index)
            self._on_activated(index)

    def _on_activated(self, _index: int) -> None:
        if self._filling or self._model is None or self._root is None:
            return
        self._model.set_environment(self._root, self.current_name())


def error_text(exc: BaseException) -> str:
    """The sentence for an error from the store (a CollectionError's own sentence, else the exception)."""
    return str(exc) if isinstance(exc, CollectionError) else f"{type(exc).__name__}: {exc}"
