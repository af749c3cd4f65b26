"""One open request: its editor, response and explanation, its SendResult, its send in flight, and the
collection file it was opened from (if any).

The main window holds tabs, not request state: everything a send needs or produces lives here, so sending in
one tab never disturbs another. A tab sends through the window's JobRunner in slots of its own
("send:<key>", "explain:<key>"): the stale-result rule of ui/jobs.py applies per tab.

A tab opened from a collection keeps the SavedRequest it was loaded from (`base`): the editor shows its
template (core.collections.capture.template_spec), a send resolves its {{variables}} against the collection,
its folders and the chosen environment (core.collections.resolve), and Ctrl+S writes the edits back on that
base, with the store's conflict check. A tab with no file is a scratch request: its {{variables}} are the
built-ins only, and Save as… puts it in a collection.

What the tab reads from its host (the main window): view_state, jobs, profiles, history, collections,
max_body_bytes, send_kwargs(), resolver(environ), token_cache(), ask_prompts(profile, variables),
find_profile(name, folder), word_wrap, and the questions ask_yes_no / ask_conflict / choose_destination.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QTabWidget, QToolButton, QVBoxLayout, QWidget

from inspector.core.errors import InspectorError, ProfileError
from inspector.core.redact import mask_url
from inspector.core.request import RequestSpec
from inspector.ui.jobs import Job
from inspector.ui.lazy import is_built
from inspector.ui.request_editor import RequestEditor
from inspector.ui.view_state import MaskedLabel, plain_label

if TYPE_CHECKING:
    from inspector.core.collections.model import SavedRequest
    from inspector.core.exchange import Exchange
    from inspector.core.pipeline import SendResult
    from inspector.core.variables import VariableScope
    from inspector.ui.collections_model import CollectionsModel, Located
    from inspector.ui.collections_tree import EnvironmentPicker
    from inspector.ui.variable_marks import VariableMarks

__all__ = ["RequestTab", "RequestTabs", "SendPlan", "tab_title"]

DIRTY_MARK = "● "
# What the UI thread needs to start a send (MainWindow.token_cache, the tab's sign-in wait): they import
# requests, so the window's first send imports them on its job before it starts (RequestTab._start).
SEND_MODULES = ("inspector.core.profiles.auth", "inspector.ui.signin_wait")
# What the panes import to show a first result (they are lazy so that the window is ready sooner): imported
# on a worker while the first request is in flight, so the UI thread finds them loaded when the answer comes.
RESULT_MODULES = (
    "inspector.ui.workers",  # the response view: the body's workers and colours
    "inspector.core.highlight",
    "inspector.ui.body_view",
    "inspector.ui.cookies_view",
    "inspector.ui.timeline_widget",  # the explainer: the token's timeline, the story and its evidence
    "inspector.core.diagnosis.story",
    "inspector.core.diagnosis.evidence",
    "inspector.core.retry",  # the fixes offered for the findings (_offer_fixes)
    "pygments.lexers.data",  # JSON, the body most API errors have (the highlighter finds its lexer at once)
)


def _units() -> Any:
    """The response view's size and duration wording (imported when a response is shown, not at start-up)."""
    from inspector.ui import response_view

    return response_view


class _Progress:
    """Bytes received so far, passed on at most every 0.1 s (and at the end): the UI thread is not flooded."""

    INTERVAL_S = 0.1

    def __init__(self, report: Callable[[tuple[int, int | None]], None]) -> None:
        self._report = report
        self._last = 0.0

    def __call__(self, received: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self._last >= self.INTERVAL_S or (total is not None and received >= total):
            self._last = now
            self._report((received, total))


def _shape(spec: RequestSpec) -> tuple[Any, ...]:
    """What makes a request different for saving (not its timeout or redirect options)."""
    return spec.method.strip().upper(), spec.url.strip(), spec.headers, spec.body


def tab_title(spec: RequestSpec, name: str | None = None) -> str:
    """A tab's title: the saved request's name, else the method and the URL's path."""
    if name:
        return name
    url = spec.url.strip()
    if not url:
        return "New request"
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        tail = (parts.path or "/") if parts.netloc else url
    except ValueError:
        tail = url
    return f"{spec.method} {tail}"[:40]


@dataclass
class SendPlan:
    """Everything a send needs, read on the UI thread: the job only runs it (it touches no widget)."""

    spec: RequestSpec
    profile: Any | None
    context: str  # "Shop / Orders / List orders with the environment 'local'" (no secret in it)
    run_collection: Any | None = None  # (collection, parents, saved, environment) to resolve in the job
    demo_base_url: str | None = None  # the demo collection: its ${env:DEMO_...} values come from this API


class RequestTab(QWidget):
    """One open request; see the module text."""

    result_received = Signal(object)  # SendResult
    exchange_received = Signal(object, object)  # Exchange, Diagnosis | None
    reexplained = Signal(object)
    send_failed = Signal(str)
    cancelled = Signal()
    busy_changed = Signal(bool)
    state_changed = Signal()  # title, dirty mark or file changed
    status = Signal(str)  # a status bar line about this tab

    ELAPSED_TICK_MS = 100
    _next_key = 0

    def __init__(self, host: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        RequestTab._next_key += 1
        self.key = RequestTab._next_key
        self.host = host
        self.view_state = host.view_state
        self.result: SendResult | None = None
        self.send_context = ""
        self.origin: Path | None = None  # the request file this tab edits
        self.base: SavedRequest | None = None  # that file as loaded (or last saved)
        self._clean: tuple[Any, ...] | None = _shape(RequestSpec())
        self._profile_at_open: str | None = None  # the picker's identity when loaded: unchanged = inherited
        self._overrides: Any = None  # Expectations typed into this tab's panel
        self._sent: dict[str, Any] | None = None  # what the last send used, for a retry with a fix
        self._restored_dirty = False  # restored after a restart with unsaved edits (bind_restored)
        self._sending_since = 0.0
        self._progress: tuple[int, int | None] = (0, None)
        self._sink: IO[bytes] | None = None
        self._sink_path = ""
        self._changed_on_disk = False
        # the tab's requests.Session (made by its first send's job): kept-alive connections, closed with the tab
        self._session = TabSession()
        self.destroyed.connect(self._session.close)

        self.editor = RequestEditor(self, view=self.view_state)
        self.profile_picker = self.editor.profile_picker
        if host.profiles is not None:
            self.profile_picker.bind(host.profiles)
        self._response_view: Any = None
        self._sign_in: Any = None  # ui/signin_wait.SignInSend, made at the first send
        self._response_slot = QWidget(self)
        self._explainer: Any = None
        self._explainer_slot = QWidget(self)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # where the request comes from, its environment and which profile applies and why
        self.context_bar = QWidget(self)
        self.context_bar.setObjectName("tabContext")
        bar = QHBoxLayout(self.context_bar)
        bar.setContentsMargins(4, 2, 4, 2)
        self.breadcrumb = plain_label("", self.context_bar, name="tabBreadcrumb")
        self._environment_picker: EnvironmentPicker | None = None  # made when a collection is attached
        self.environment_label = plain_label("Environment:", self.context_bar)
        self.profile_reason = MaskedLabel(self.view_state, parent=self.context_bar, name="profileReason")
        self.profile_reason.setWordWrap(True)
        bar.addWidget(self.breadcrumb)
        bar.addStretch(1)
        bar.addWidget(self.environment_label)
        self._bar = bar
        outer.addWidget(self.context_bar)
        outer.addWidget(self.profile_reason)
        # what a save did that the user must act on (credentials that became {{variables}})
        self.save_note = MaskedLabel(self.view_state, parent=self, name="saveNote")
        self.save_note.setWordWrap(True)
        self.save_note.hide()
        outer.addWidget(self.save_note)

        self.left_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.left_splitter.setObjectName("leftSplitter")
        self.left_splitter.addWidget(self.editor)
        self.left_splitter.addWidget(self._response_slot)
        self.left_splitter.setStretchFactor(0, 2)
        self.left_splitter.setStretchFactor(1, 3)
        self.left_splitter.setChildrenCollapsible(False)
        self.right_column = QWidget(self)
        self.right_column.setObjectName("explainerColumn")
        right = QVBoxLayout(self.right_column)
        right.setContentsMargins(0, 0, 0, 0)
        # the explanation's context: what was sent, resolved and masked, and with which environment
        self.sent_context = MaskedLabel(self.view_state, parent=self.right_column, name="sentContext")
        self.sent_context.setWordWrap(True)
        self.sent_context.hide()
        right.addWidget(self.sent_context)
        right.addWidget(self._explainer_slot, 1)
        self._explainer_slot.setMinimumWidth(host.panel_min_width())
        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.left_splitter)
        self.main_splitter.addWidget(self.right_column)
        # a wider or narrower window keeps the explainer's share of the width (the window's panel_share)
        share = float(host.panel_share)
        self.main_splitter.setStretchFactor(0, round((1 - share) * 100))
        self.main_splitter.setStretchFactor(1, round(share * 100))
        self.main_splitter.setChildrenCollapsible(False)
        outer.addWidget(self.main_splitter, 1)

        self._panes_for = 0  # bumped by whatever puts another answer in the panes (see _explain_result)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(self.ELAPSED_TICK_MS)
        self._elapsed_timer.timeout.connect(self._tick_elapsed)
        self._marks: VariableMarks | None = None  # made when {{variables}} first appear in the form
        self.editor.send_requested.connect(self.send)
        self.editor.cancel_requested.connect(self.cancel)
        self.editor.spec_changed.connect(self._on_edited)
        self.profile_picker.activated.connect(lambda _i: self._on_edited())
        self.profile_picker.profile_changed.connect(lambda _p: self._update_profile_reason())
        self.editor.curl_imported.connect(self._on_curl_imported)
        self._bind_collections(host.collections)
        self._update_context()

    # -- parts built on first use (start-up is a feature) ----------------------------------------------
    @property
    def marks(self) -> VariableMarks:
        """The {{variables}} marks of the editor (made on first use: see _refresh_marks)."""
        if self._marks is None:
            from inspector.ui.variable_marks import VariableMarks

            self._marks = VariableMarks(self.editor, self.variable_scope, view=self.view_state)
            self._marks.refresh()
        return self._marks

    @property
    def environment_picker(self) -> EnvironmentPicker:
        if self._environment_picker is None:
            from inspector.ui.collections_tree import EnvironmentPicker

            self._environment_picker = EnvironmentPicker(self.collections, self.context_bar)
            self._bar.addWidget(self._environment_picker)
        return self._environment_picker

    @property
    def explainer(self) -> Any:
        if self._explainer is None:
            from inspector.ui.explainer_panel import ExplainerPanel

            panel = ExplainerPanel(self, view=self.view_state)
            panel.setMinimumWidth(self.host.panel_min_width())  # never squeezed to a sliver
            panel.expectations_changed.connect(self._on_expectations_changed)
            panel.retry_status.connect(self.status)  # try the fix: its progress and outcome
            panel.response_requested.connect(lambda result: self.response_view.show_result(result))
            layout = self.right_column.layout()
            assert layout is not None  # made in __init__
            layout.replaceWidget(self._explainer_slot, panel)
            self._explainer_slot.deleteLater()
            self._explainer = panel
        return self._explainer

    @property
    def response_view(self) -> Any:
        if self._response_view is None:
            from inspector.ui.response_view import ResponseView

            view = ResponseView(self, max_body_bytes=self.host.max_body_bytes, view=self.view_state)
            sizes = self.left_splitter.sizes()
            self.left_splitter.replaceWidget(self.left_splitter.indexOf(self._response_slot), view)
            self._response_slot.deleteLater()
            self.left_splitter.setSizes(sizes)
            view.save_requested.connect(self.save_full_body)
            view.set_word_wrap(self.host.word_wrap)
            view.wrap_check.toggled.connect(self.host.set_word_wrap)
            self._response_view = view
        return self._response_view

    @property
    def sign_in(self) -> Any:
        """The waiting state of a send whose profile signs in with a browser or a device code."""
        if self._sign_in is None:
            from inspector.ui.signin_wait import SignInSend

            self._sign_in = SignInSend(self.view_state, self.response_view)
            self._sign_in.waiting_changed.connect(
                lambda on: self.response_view.show_waiting(self._sign_in.panel if on else None))
            self._sign_in.status.connect(self.status.emit)
        return self._sign_in

    def ensure_panels(self) -> None:
        _ = self.response_view
        _ = self.explainer

    def _holds_variables(self) -> bool:
        """Whether any part of the form (URL, body, params, headers, form fields) has a "{{"."""
        return self.editor.holds("{{")

    def _refresh_marks(self) -> None:
        """Mark the form's {{variables}} again. A form without any needs no marks (nothing to underline,
        no hover, no 'Not set' line), so they are made only once a "{{" appears: the window is ready sooner."""
        if self._marks is not None:
            self._marks.refresh()
        elif self._holds_variables():
            _ = self.marks  # made, and marked; it follows the editor from now on

    def set_word_wrap(self, on: bool) -> None:
        if self._response_view is not None:
            self._response_view.set_word_wrap(on)

    # -- identity, title, dirty ------------------------------------------------------------------------
    @property
    def collections(self) -> CollectionsModel | None:
        return self.host.collections

    @property
    def root(self) -> Path | None:
        """The collection this tab's request belongs to."""
        model = self.collections
        if self.origin is None or model is None:
            return None
        return model.root_of(self.origin)

    def title(self) -> str:
        name = self.base.name if self.base is not None else None
        return tab_title(self.editor.to_spec(), name)

    def is_dirty(self) -> bool:
        """Edits not saved: for a collection request, since it was loaded or saved; for a scratch request,
        since it was opened (an empty new tab is never dirty)."""
        if self._clean is None:
            return True
        if _shape(self.editor.to_spec()) != self._clean:
            return True
        return self.base is not None and self.profile_picker.currentData() != self._profile_at_open

    def display_title(self) -> str:
        return (DIRTY_MARK if self.is_dirty() else "") + self.title()

    def _on_edited(self) -> None:
        if self._marks is None and self._holds_variables():
            _ = self.marks  # marks itself from now on
        self._update_profile_reason()
        self.state_changed.emit()

    def mark_clean(self) -> None:
        """What the editor holds now is what is saved (or what was opened)."""
        self._clean = _shape(self.editor.to_spec())
        self._profile_at_open = self.profile_picker.currentData()
        self._changed_on_disk = False
        self.state_changed.emit()

    # -- filling -------------------------------------------------------------------------------------------
    def set_spec(self, spec: RequestSpec, *, clean: bool = True) -> None:
        """A scratch request (no file): the form, and what counts as unedited."""
        self.origin = None
        self.base = None
        self.editor.set_spec(spec)
        self._refresh_marks()
        self._update_context()
        if clean:
            self.mark_clean()
        else:
            self._clean = None
            self.state_changed.emit()

    def open_saved(self, located: Located, *, keep_edits: bool = False) -> None:
        """Show a saved request of a collection (keep_edits: only take it as the new base)."""
        saved = located.request
        self.origin = saved.path
        self.base = saved
        if not keep_edits:
            from inspector.core.collections.capture import template_spec

            identity = self._profile_identity(located)
            self.editor.set_spec(replace(template_spec(saved), profile=identity))
            self.mark_clean()
        else:
            self._changed_on_disk = False
        self._update_context()
        self._refresh_marks()
        self.state_changed.emit()

    def bind_restored(self, origin: Path, spec: RequestSpec, *, dirty: bool) -> None:
        """A tab restored after a restart: the file it edits, and its last form (loaded from disk later)."""
        self.origin = origin
        self.base = None
        self.editor.set_spec(spec)
        self._refresh_marks()
        self._clean = None if dirty else _shape(spec)
        self._restored_dirty = dirty
        self._update_context()

    def _profile_identity(self, located: Located) -> str | None:
        from inspector.core.collections.resolve import choose_profile

        choice = choose_profile(located.collection, located.parents, located.request)
        if not choice.name:
            return None
        profile = self.host.find_profile(choice.name, located.collection.profiles_dir)
        return profile.identity if profile is not None else None

    def on_profiles_loaded(self) -> None:
        """The profiles arrived after the tab opened: select the one its collection chooses, unless the user
        chose one meanwhile."""
        located = self.located()
        if located is None or self.is_dirty():
            return
        identity = self._profile_identity(located)
        if identity is not None and self.profile_picker.currentData() != identity:
            self.profile_picker.select_identity(identity)
            self.mark_clean()

    def located(self) -> Located | None:
        """The request in its loaded collection (with the folders above it), or None."""
        model = self.collections
        if self.origin is None or model is None:
            return None
        return model.find(self.origin)

    def on_collection_loaded(self) -> None:
        """Its collection was (re)loaded (a save, a git pull): an unedited tab shows the file as it is now;
        an edited one keeps its edits (saving it then is a conflict to decide)."""
        model = self.collections
        if self.origin is None or model is None or not model.is_loaded(self.root or self.origin):
            self._update_context()
            return
        located = model.find(self.origin)
        if located is None:
            if self.base is not None:
                self._changed_on_disk = True  # deleted or moved behind our back: the edits stay
            self._update_context()
            self.state_changed.emit()
            return
        if self.base is None:  # restored after a restart
            dirty = self._restored_dirty
            self.open_saved(located, keep_edits=dirty)
            if dirty:
                from inspector.core.collections.capture import template_spec

                self._clean = _shape(template_spec(located.request))
                self._profile_at_open = self._profile_identity(located)
            self.state_changed.emit()
            return
        same = located.request.loaded is not None and self.base.loaded is not None and \
            located.request.loaded.sha256 == self.base.loaded.sha256
        if same:
            if located.request != self.base:
                self.base = located.request
            self._update_context()
            self._refresh_marks()
            return
        if self.is_dirty():
            self._changed_on_disk = True
            self.status.emit(f"'{located.request.name}' changed on disk; your edits in this tab are kept. "
                             "Saving asks whether to overwrite the other change.")
            self._update_context()
            self.state_changed.emit()
        else:
            self.open_saved(located)

    def follow_move(self, old: Path, saved: SavedRequest) -> None:
        """The file was renamed or moved in the tree: this tab edits it at its new place."""
        from inspector.ui.collections_model import path_key

        if self.origin is None or path_key(self.origin) != path_key(old):
            return
        dirty = self.is_dirty()
        self.origin = saved.path
        if dirty:
            self.base = saved
        else:
            model = self.collections
            located = model.find(saved.path) if model is not None and saved.path is not None else None
            if located is not None:
                self.open_saved(located)
            else:
                self.base = saved
        self._update_context()
        self.state_changed.emit()

    def forget_file(self) -> None:
        """The file was deleted in the tree: the tab becomes a scratch request with the same form."""
        self.origin = None
        self.base = None
        self._clean = None
        self._update_context()
        self.state_changed.emit()

    # -- collections ---------------------------------------------------------------------------------------
    def _bind_collections(self, model: CollectionsModel | None) -> None:
        if model is None:
            return
        self.environment_picker.bind(model)
        self._refresh_marks()
        model.environment_changed.connect(self._on_environment_changed)

    def attach_collections(self, model: CollectionsModel) -> None:
        self._bind_collections(model)
        self._update_context()

    def _on_environment_changed(self, root: Path) -> None:
        from inspector.ui.collections_model import path_key

        if self.root is not None and path_key(root) == path_key(self.root):
            self._refresh_marks()
            self._update_profile_reason()

    def variable_scope(self) -> VariableScope | None:
        """Where this tab's {{names}} are looked up now (None: nothing to mark)."""
        from inspector.core.variables import VariableScope

        model = self.collections
        root = self.root
        if model is None or root is None or self.origin is None:
            return VariableScope(request_name=self.title())
        collection = model.collection(root)
        if collection is None:
            return None
        from inspector.core.collections.model import SavedRequest
        from inspector.core.collections.resolve import scope_for

        located = model.find(self.origin)
        parents = located.parents if located is not None else model.parents_for(root, self.origin.parent)
        base = self.base or (located.request if located is not None else SavedRequest(self.title()))

        return scope_for(collection, parents, base, model.environment(root))

    def _update_context(self) -> None:
        model = self.collections
        root = self.root
        collection = model.collection(root) if model is not None and root is not None else None
        if model is not None:
            self.environment_picker.set_root(root if collection is not None else None)
        visible = root is not None
        self.context_bar.setVisible(visible)
        self.environment_label.setVisible(collection is not None and bool(collection.environments))
        if model is not None:
            self.environment_picker.setVisible(collection is not None and bool(collection.environments))
        if root is not None and model is not None:
            located = model.find(self.origin) if self.origin is not None else None
            names = [collection.name if collection is not None else root.name]
            if located is not None:
                names += [f.name for f in located.parents]
            names.append(self.title())
            crumb = " / ".join(names)
            if model.is_read_only(root):
                crumb += "  (comes with the app: Save as… keeps your own copy)"
            if self._changed_on_disk:
                crumb += "  — changed on disk since it was opened"
            self.breadcrumb.setText(crumb)
            self.breadcrumb.setToolTip(str(self.origin))
        self._update_profile_reason()

    def _update_profile_reason(self) -> None:
        """The tab says which profile will be used and why (core: choose_profile(...).reason)."""
        located = self.located()
        if located is None:
            self.profile_reason.hide()
            return
        from inspector.core.collections.resolve import choose_profile

        saved = self.to_saved()
        choice = choose_profile(located.collection, located.parents, saved)
        if choice.name:
            text = f"Profile: '{choice.name}' — {choice.reason}."
            if self.host.profiles is not None and getattr(self.host.profiles, "loaded", True) and \
                    self.host.find_profile(choice.name, located.collection.profiles_dir) is None:
                text += " No profile of that name is loaded: sending will say so."
        else:
            text = f"No profile: {choice.reason}."
        self.profile_reason.set_text(text)
        self.profile_reason.show()

    def to_saved(self) -> SavedRequest:
        """The form as the SavedRequest it would be saved as (on the request it was opened from)."""
        from inspector.core.collections.capture import Keep, saved_from_spec

        spec = self.editor.to_spec()
        picked = self.profile_picker.currentData()
        profile: str | None | Keep = Keep.KEEP
        if self.base is None or picked != self._profile_at_open:
            chosen = self.profile_picker.current_profile()
            if self.base is None:
                profile = chosen.name if chosen is not None else None
            else:
                profile = chosen.name if chosen is not None else ""
        name = None if self.base else self.title()
        return saved_from_spec(spec, base=self.base, name=name, profile=profile)

    # -- sending -------------------------------------------------------------------------------------------
    @property
    def jobs(self) -> Any:
        return self.host.jobs

    @property
    def send_slot(self) -> str:
        return f"send:{self.key}"

    @property
    def explain_slot(self) -> str:
        return f"explain:{self.key}"

    @property
    def sending(self) -> bool:
        return self.jobs.current(self.send_slot) is not None

    def plan(self) -> SendPlan:
        """Read everything the send needs (UI thread); InspectorError when it cannot be sent (nothing was)."""
        self.editor.commit_edits()  # Ctrl+Enter while a cell is being edited sends what was typed in it
        spec = self.editor.to_spec()
        located = self.located()
        model = self.collections
        if located is None and self.origin is not None and model is not None and self.root is not None:
            collection = model.collection(self.root)
            if collection is not None:  # a file deleted behind our back: its collection still resolves it
                from inspector.ui.collections_model import Located

                located = Located(collection, model.parents_for(self.root, self.origin.parent),
                                  self.to_saved())
        if located is not None and model is not None:
            return self._collection_plan(spec, located, model)
        from inspector.core.collections.capture import spec_has_variables, substitute_spec

        if spec_has_variables(spec):
            from inspector.core.variables import Substitution, VariableScope

            sub = Substitution(VariableScope(request_name=self.title()))
            spec = substitute_spec(spec, sub)
            sub.failures = []
            sub.check()  # UnresolvedVariable: a scratch request has the built-ins only
        spec.validate()
        return SendPlan(spec, self.host.profile_for(spec), "")

    def _collection_plan(self, spec: RequestSpec, located: Located, model: CollectionsModel) -> SendPlan:
        from inspector.core.collections.resolve import resolve_request
        from inspector.core.variables import UnresolvedVariable

        saved = self.to_saved()
        collection, parents = located.collection, located.parents
        root = collection.root
        environment = model.environment(root)
        # on the UI thread without secrets: {{names}} set nowhere stop the send before anything is resolved
        resolved, sub = resolve_request(collection, parents, saved, environment, check=False)
        sub.failures = []  # secret references are resolved in the job, through the keyring
        try:
            sub.check()
        except UnresolvedVariable as exc:
            if environment is None and collection.environments:
                names = ", ".join(e.name for e in collection.environments)
                raise UnresolvedVariable(f"{exc} Choose an environment for this collection ({names}).",
                                         names=exc.names, request=exc.request, environment=None) from None
            raise
        if "{{" not in resolved.spec.url:
            from inspector.core.request import validate_method, validate_url

            validate_method(resolved.spec.method)
            validate_url(resolved.spec.url)
        choice = resolved.profile
        profile = None
        if choice.name:
            profile = self.host.find_profile(choice.name, collection.profiles_dir)
            if profile is None:
                raise ProfileError(
                    f"The profile '{choice.name}' ({choice.reason}) is not available: add it to "
                    f"{collection.profiles_dir} or your profiles, or choose another profile for the request.")
        env = f" with the environment '{environment.name}'" if environment is not None else \
            " with no environment"
        context = f"{collection.name} / {resolved.path}{env}"
        if profile is not None:
            context += f", profile '{profile.name}' ({choice.reason})"
        final = replace(spec, profile=profile.identity if profile is not None else None)
        demo_url = None
        if collection.document.get("demo") is True:
            demo_url = sub.text("{{base_url}}")
        return SendPlan(final, profile, context, (collection, parents, saved, environment), demo_url)

    def send(self) -> bool:
        """Validate the form and send it off the UI thread; False when it cannot be sent (message shown)."""
        if self.sending:
            return False
        try:
            plan = self.plan()
        except InspectorError as exc:
            self._refuse(str(exc))
            return False
        if not self.host.ask_prompts(plan.profile, self._prompt_variables(plan)):
            self._refuse("The request was not sent: a secret the profile asks for was not given.")
            return False
        self.editor.show_message("")
        self._start(plan, dict(self.host.send_kwargs(), max_body_bytes=self.host.max_body_bytes), record=True)
        self.status.emit(f"Sending {plan.spec.method} {mask_url(plan.spec.url)}…")
        self.response_view.show_sending()
        self.explainer.clear()
        return True

    def _prompt_variables(self, plan: SendPlan) -> list[str]:
        """{{names}} whose value is ${prompt}: asked on the UI thread before the send."""
        if plan.run_collection is None:
            return []
        from inspector.core.collections.resolve import scope_for
        from inspector.core.variables import variable_names

        collection, parents, saved, environment = plan.run_collection
        scope = scope_for(collection, parents, saved, environment)
        texts = [saved.url, *(h.value for h in saved.headers), *(p.value for p in saved.params),
                 saved.body.text]
        out = []
        for name in dict.fromkeys(n for t in texts for n in variable_names(t)):
            found = scope.lookup(name)
            if found is not None and found.raw.strip() == "${prompt}":
                out.append(name)
        return out

    def _refuse(self, message: str) -> None:
        self.editor.show_message(message)
        self.status.emit("The request was not sent: see the message under the address.")
        self.send_failed.emit(message)

    def transport_session(self) -> Any:
        """The session this tab's sends share (core.transport.new_session): one per tab, closed with it."""
        return self._session.get()

    def _start(self, plan: SendPlan, send_kwargs: dict[str, Any], *, record: bool) -> None:
        """Send off the UI thread; its SendResult comes to _on_result.

        The first send of the window first imports, on a job in the send's own slot, what this thread needs to
        start a send (the token cache and the sign-in wait, which bring in requests: a tenth of a second that
        would freeze the window): the tab is busy meanwhile, and Cancel drops the send as usual."""
        if not all(name in sys.modules for name in SEND_MODULES):
            from inspector.ui.jobs import import_modules

            since = self._begin_sending()
            self.jobs.start(self.send_slot, lambda _job: import_modules(SEND_MODULES), name="send",
                            on_done=lambda _v: self._start_now(plan, send_kwargs, record=record, since=since),
                            on_failed=self._on_send_failed)
            return
        self._start_now(plan, send_kwargs, record=record)

    def _start_now(self, plan: SendPlan, send_kwargs: dict[str, Any], *, record: bool,
                   since: float | None = None) -> None:
        session = None if "session" in send_kwargs else self._session
        host = self.host
        profile = plan.profile
        environ: dict[str, str] | None = None
        resolver_needed = profile is not None or plan.run_collection is not None
        cache, overrides = host.token_cache(), self._overrides
        history = host.history if record else None
        run_collection = plan.run_collection
        demo_url = plan.demo_base_url
        spec = plan.spec
        make_resolver = host.resolver
        self.jobs.cancel(self.explain_slot)
        self._panes_for += 1  # a new send: an answer still waiting to be explained is not explained now
        self.send_context = plan.context
        sent: dict[str, Any] = {"cache": cache, "overrides": overrides, "history": history, "kwargs": send_kwargs}
        self._sent = sent  # what the send used, for a retry with a fix (filled in by the job)
        base_hooks = getattr(cache, "hooks", None)
        stop, job_cancel = self.sign_in.begin(base_hooks)  # the sign-in's Cancel stops `stop` alone
        send_hooks = self.sign_in.hooks  # a plain function: the job never touches the QObject

        def send(job: Job[SendResult]) -> SendResult:
            from inspector.core.pipeline import prepare

            nonlocal environ
            if session is not None:  # the first send imports requests here (a tenth of a second)
                send_kwargs["session"] = session.get()  # `sent` keeps it for a retry
            if demo_url:
                import os

                from inspector.demo.collection import demo_variables

                environ = {**os.environ, **demo_variables(demo_url)}  # fresh tokens for each send
            resolver = make_resolver(environ) if resolver_needed else None
            final, extra_secrets, used = spec, [], profile
            if run_collection is not None:
                from inspector.core.collections.resolve import resolve_profile, resolve_request

                collection, parents, saved, environment = run_collection
                resolved, sub = resolve_request(collection, parents, saved, environment, None, resolver)
                final = replace(resolved.spec, timeout_s=spec.timeout_s,
                                follow_redirects=spec.follow_redirects, verify_tls=spec.verify_tls,
                                profile=spec.profile)
                extra_secrets = list(sub.secrets)
                if used is not None:
                    used = resolve_profile(used, sub)
            sent.update(profile=used, resolver=resolver, secrets=extra_secrets)
            prepared = prepare(final, used, resolver, cache, hooks=send_hooks(base_hooks, job.report))
            for secret in extra_secrets:
                prepared.redactor.add(secret)
            result = prepared.run(overrides=overrides, history=history, cancel=stop,
                                  on_progress=_Progress(job.report), **send_kwargs)
            if stop.is_set() and not job.cancel.is_set():  # the sign-in's Cancel: its exchange is shown
                result = result.explained_again(overrides)  # what stopped (no network: nothing was sent)
            return result

        self.jobs.start(self.send_slot, send, on_done=self._on_result, on_failed=self._on_send_failed,
                        on_progress=self._on_progress, cancel=job_cancel, name="send")
        modules_ready = all(m in sys.modules for m in RESULT_MODULES)
        if not modules_ready and not self.jobs.busy("result-modules"):
            from inspector.ui import qt_types
            from inspector.ui.jobs import import_modules

            def prepare_result(_job: Job[None]) -> None:
                import_modules(RESULT_MODULES)
                qt_types.make(qt_types.FIRST_RESULT)

            self.jobs.start("result-modules", prepare_result, on_done=lambda _v: self._prebuild_result())
        elif modules_ready and not is_built(self.explainer, "result_box"):  # a new tab's first send
            QTimer.singleShot(0, self, self._prebuild_result)
        self._begin_sending(since)

    def _begin_sending(self, since: float | None = None) -> float:
        """The tab is busy from `since` (now when None): Cancel shown, the elapsed time counted from then."""
        self._sending_since = since if since is not None else time.monotonic()
        self._progress = (0, None)
        self._set_busy(True)
        return self._sending_since

    def _prebuild_result(self) -> None:
        """While the request is in flight (and once the modules are imported): make what the explanation makes
        for its first answer (ExplainerPanel.prepare, some 10-25 ms), so that the answer is shown sooner."""
        if self.sending:
            self.explainer.prepare()

    def _set_busy(self, busy: bool) -> None:
        if not busy and self._sign_in is not None:
            self._sign_in.end()
        self.editor.set_busy(busy)
        if busy:
            self._elapsed_timer.start()
        else:
            self._elapsed_timer.stop()
        self.busy_changed.emit(busy)

    def _tick_elapsed(self) -> None:
        received, total = self._progress
        self.response_view.update_elapsed(time.monotonic() - self._sending_since, received, total)

    def _on_progress(self, progress: Any) -> None:
        if self._sign_in is not None and self._sign_in.handle(progress):
            self._progress = (0, None)  # a sign-in step (ui/signin_wait.py): the bytes so far were its own
            return
        self._progress = progress

    def cancel(self) -> None:
        """Stop waiting: the tab is idle at once and a late answer is ignored."""
        if not self.sending:
            return
        self.jobs.cancel(self.send_slot)
        self._set_busy(False)
        saving = self._sink is not None
        # The worker stops writing once it sees the cancel; a write that races the close fails harmlessly
        # in the worker, and the half-written file is removed rather than left looking whole.
        self._close_sink()
        self.response_view.show_cancelled()
        if saving:
            Path(self._sink_path).unlink(missing_ok=True)
            self.response_view.set_notice(
                f"Saving was cancelled: the partial file {self._sink_path} was removed.")
        self.status.emit("Cancelled")
        self.cancelled.emit()

    def escape(self) -> None:
        """Esc: cancel a request in flight, else close the find bar."""
        if self.sending:
            self.cancel()
        elif self._response_view is not None and self._response_view.find_bar.isVisible():
            self._response_view.close_find()

    def _on_result(self, result: SendResult) -> None:
        """The send's one result: keep it, show it, and tell what the user should know about it."""
        self._set_busy(False)
        if self._sink is not None:
            self._finish_save(result.exchange)
            return
        self.result = result
        shown = result.shown_secrets()
        if self.host.current_tab() is self:
            self.view_state.remember_secrets(shown.values, shown.names)  # status bar, notices, the log
        self.response_view.show_result(result)
        # the explanation on the next turn of the event loop: the answer and its explanation are two stretches
        # of the UI thread's time instead of one (a fresh window's first 401: about 10 and 35 ms)
        self._panes_for += 1
        QTimer.singleShot(0, self, lambda turn=self._panes_for: self._explain_result(turn))

    def _explain_result(self, turn: int) -> None:
        """The second part of showing an answer: its explanation, drawn in two turns of its own (the verdict
        and findings, then the rest: ExplainerPanel.set_result), then _explained. Neither runs when something
        came in between (another answer, a new send, a history entry shown, the tab closed): the panes, the
        fixes' context (`_sent`) and the status line are no longer this answer's. What is shown is `result`:
        the answer, or its explanation again with the panel's expectations when that came meanwhile."""
        result = self.result
        if turn != self._panes_for or result is None:
            return
        self.explainer.show_result(result, then=lambda: self._explained(turn))

    def _explained(self, turn: int) -> None:
        """The explanation is drawn: the fixes it offers, what was sent, the status line, and the news of it."""
        result = self.result
        if turn != self._panes_for or result is None:
            return
        self._offer_fixes(result)
        sections = getattr(self.explainer, "sections", None)
        if sections is not None:
            sections.setCurrentIndex(0)  # the explanation of what just came back, not the decoder
        self._show_sent_context(result.exchange)
        exchange, response = result.exchange, result.exchange.response
        if exchange.error is not None:
            status = f"No response: {exchange.error.kind}"
        elif response is not None:
            units = _units()
            took, size = units.format_duration(exchange.elapsed_s), units.format_size(response.body_bytes)
            status = f"{response.status} {response.reason} in {took}, {size}"
        else:
            status = "No response"
        problem = result.problem("history")
        self.status.emit(f"{status}. {problem.message}" if problem else status)
        self.result_received.emit(result)
        self.exchange_received.emit(exchange, result.diagnosis)

    def _offer_fixes(self, result: SendResult) -> None:
        """Try the fix: the fixes core.retry offers for this answer's findings, and how to run one (a job)."""
        sent = self._sent
        if sent is None or result.diagnosis is None:
            return
        from inspector.core.retry import fix_for_finding, retry

        profiles = list(self.host.profiles.profiles) if self.host.profiles is not None else []
        by_name = {p.name: p for p in profiles}
        used = sent.get("profile")
        fixes = {f.id: fix for f in result.diagnosis.findings
                 if (fix := fix_for_finding(f, result, used, profiles)) is not None}

        def run(fix: str, cancel: Any) -> Any:  # on the worker: plain values only
            return retry(result, fix, profile=used, find_profile=by_name.__getitem__,
                         resolver=sent.get("resolver"), token_cache=sent["cache"], overrides=sent["overrides"],
                         history=sent["history"], cancel=cancel, extra_secrets=sent.get("secrets", ()),
                         **sent["kwargs"])

        self.explainer.offer_fixes(fixes, run)

    def _show_sent_context(self, exchange: Exchange) -> None:
        if not self.send_context:
            self.sent_context.hide()
            return
        secrets = self.result.shown_secrets() if self.result is not None else None
        url = mask_url(exchange.spec.url, secrets.names if secrets is not None else ())
        self.sent_context.set_text(f"Sent {exchange.spec.method} {url}\nfrom {self.send_context}.",
                                   secrets=secrets.values if secrets is not None else ())
        self.sent_context.show()

    def _on_send_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self._close_sink()
        if isinstance(error, InspectorError):  # bad input, a missing secret: nothing was sent
            message = str(error)
        else:  # a bug, not a transport failure (those are in Exchange.error)
            message = f"Sending failed unexpectedly ({type(error).__name__}: {error})."
        self.editor.show_message(message)
        self.response_view.show_problem(message)
        self.status.emit("The request was not sent.")
        self.send_failed.emit(message)

    # -- expectations typed into the panel ------------------------------------------------------------
    def _on_expectations_changed(self, expectations: Any) -> None:
        self._overrides = expectations
        result = self.result
        if result is None or self.sending:
            return
        self.status.emit("Explaining the last response again with these expectations…")
        self.jobs.start(self.explain_slot, lambda _job: result.explained_again(expectations),
                        on_done=self._on_reexplained, on_failed=self._on_reexplain_failed, name="explain")

    def _on_reexplained(self, result: SendResult) -> None:
        if self.sending or self.result is None or self.result.exchange is not result.exchange:
            return
        self.result = result
        self.explainer.show_result(result)
        self.status.emit("Explained again with the expectations from the panel.")
        self.reexplained.emit(result)

    def _on_reexplain_failed(self, error: BaseException) -> None:
        self.status.emit(f"Could not explain again: {error}")

    # -- a history entry or a HAR entry shown in this tab -----------------------------------------------
    def show_record(self, record: Any) -> None:
        self._panes_for += 1
        self.set_spec(record.spec)
        self.response_view.show_exchange(record.exchange)
        if record.diagnosis is not None:
            self.explainer.set_result(record.exchange, record.diagnosis)
        else:
            self.explainer.clear()
        self.sent_context.hide()

    # -- saving a body bigger than the cap: send again, streaming the body to the file --------------------
    def save_full_body(self, path: str) -> None:
        if self.sending or self.result is None:
            return
        try:
            self._sink = Path(path).open("wb")
        except OSError as exc:
            self.response_view.set_notice(f"Cannot write {path}: {exc.strerror}.", error=True)
            return
        self._sink_path = path
        spec = self.result.exchange.spec
        self._start(SendPlan(spec, self.host.profile_for(spec), self.send_context),
                    dict(self.host.send_kwargs(), body_sink=self._sink), record=False)
        self.status.emit(f"Sending the request again to save the whole body to {path}…")

    def _close_sink(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def _finish_save(self, exchange: Exchange) -> None:
        self._close_sink()
        if exchange.error is not None:
            message = f"The body was not saved: {exchange.error.message}"
        else:
            size = Path(self._sink_path).stat().st_size
            message = f"Saved the whole body ({_units().format_size(size)}) to {self._sink_path}."
        self.response_view.set_notice(message, error=exchange.error is not None)
        self.status.emit(message)

    # -- saving the request -------------------------------------------------------------------------------
    def save(self, *, overwrite: bool = False) -> bool:
        """Ctrl+S: write the request to its collection file (Save as… when it has none, or its collection
        comes with the app). A change on disk is a conflict the user decides; a literal credential is offered
        to become a {{variable}}. True when saved."""
        model = self.collections
        root = self.root
        if model is None or self.origin is None or root is None or model.is_read_only(root):
            return self.save_as()
        self.editor.commit_edits()
        saved = self.to_saved()
        if saved.path is None:
            saved = replace(saved, path=self.origin)
        return self._write(model, saved, overwrite=overwrite, resolve_conflicts=True)

    def _write(self, model: CollectionsModel, saved: SavedRequest, *, overwrite: bool = False,
               resolve_conflicts: bool = False) -> bool:
        """Write saved (a literal credential offered to become a {{variable}}); a refusal is shown under the
        address, a change on disk is left to the user when resolve_conflicts. True when saved."""
        from inspector.core.collections.model import CollectionConflict, CollectionError
        from inspector.ui.save_request_dialog import save_new_request

        try:
            done = save_new_request(model, saved, lambda q: self.host.ask_yes_no("Save the request", q),
                                    overwrite=overwrite)
        except (CollectionError, InspectorError, OSError) as exc:
            if resolve_conflicts and isinstance(exc, CollectionConflict):
                return self._resolve_conflict(str(exc))
            self.editor.show_message(str(exc))
            self.status.emit("The request was not saved: see the message under the address.")
            return False
        if done is None:
            return False
        self._after_save(done)
        return True

    def _resolve_conflict(self, message: str) -> bool:
        answer = self.host.ask_conflict(message)
        if answer == "overwrite":
            return self.save(overwrite=True)
        if answer == "reload":
            located = self.located()
            if located is not None:
                self.open_saved(located)
                self.status.emit("Reloaded from disk: your edits in this tab were dropped.")
            return False
        if answer == "save_as":
            return self.save_as()
        self.status.emit("Not saved: the file changed on disk.")
        return False

    def _after_save(self, done: Any) -> None:
        from inspector.core.collections.capture import template_spec

        written: SavedRequest = done.request
        model = self.collections
        located = model.find(written.path) if model is not None and written.path is not None else None
        self.origin = written.path
        if done.lifted or located is None:
            self.base = written
            picked = self.profile_picker.currentData()
            self.editor.set_spec(replace(template_spec(written), profile=picked))
            self._refresh_marks()
        else:
            self.base = located.request
        self.mark_clean()
        self._update_context()
        note = done.note()
        self.save_note.set_text(note)
        self.save_note.setVisible(bool(note))
        self.status.emit(f"Saved '{written.name}' to {written.path}." + (f" {note}" if note else ""))

    def save_as(self) -> bool:
        """Save… in a collection and folder the user chooses, under a new name; the tab then edits that
        file."""
        model = self.collections
        if model is None:
            self.status.emit("Collections are not available in this window yet.")
            return False
        root = self.root
        where = self.origin.parent if self.origin is not None and root is not None and \
            not model.is_read_only(root) else None
        chosen = self.host.choose_destination(self.title(), where)
        if chosen is None:
            return False
        folder, name = chosen
        from inspector.ui.save_request_dialog import new_saved_request

        self.editor.commit_edits()
        return self._write(model, new_saved_request(folder, name, replace(self.to_saved(), name=name)))

    def _on_curl_imported(self, _notes: list) -> None:
        self.status.emit("Imported from curl. Ctrl+S saves it to a collection.")

    # -- the end -------------------------------------------------------------------------------------------
    def shutdown(self) -> None:
        self._panes_for += 1
        self.jobs.forget(self.send_slot)  # the window's runner: the slots go with the tab
        self.jobs.forget(self.explain_slot)
        self.editor.shutdown()
        self._elapsed_timer.stop()
        self._close_sink()
        if self._sign_in is not None:
            self._sign_in.shutdown()
        if self._response_view is not None:
            self._response_view.shutdown()
        if self._explainer is not None:
            self._explainer.shutdown()
        self._session.close()


class TabSession:
    """A tab's requests.Session, made on first use by whichever thread needs it (a send's job: importing
    requests takes a tenth of a second), once; close() is final (callable while Qt destroys the tab)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: Any = None
        self._closed = False

    def get(self) -> Any:
        with self._lock:
            if self._closed:  # a send still running as its tab closes: it was cancelled, its result dropped
                raise InspectorError("The tab was closed: its request is not sent.")
            if self._session is None:
                from inspector.core.transport import new_session

                self._session = new_session()
            return self._session

    def close(self, *_args: object) -> None:
        with self._lock:
            session, self._session, self._closed = self._session, None, True
        if session is not None:
            session.close()


class RequestTabs(QTabWidget):
    """The window's tabs: closable, movable, a + button for a new one, the dot of unsaved edits in titles."""

    new_tab_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("requestTabs")
        self.setDocumentMode(True)
        self.setTabsClosable(True)
        self.setMovable(True)
        self.setUsesScrollButtons(True)
        self.tabBar().setElideMode(Qt.TextElideMode.ElideRight)
        plus = QToolButton(self)
        plus.setObjectName("newTabButton")
        plus.setText("+")
        plus.setToolTip("A new request (Ctrl+T)")
        plus.setAutoRaise(True)
        plus.clicked.connect(self.new_tab_requested)
        self.setCornerWidget(plus, Qt.Corner.TopRightCorner)
