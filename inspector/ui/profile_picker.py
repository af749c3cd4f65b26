"""The profile picker beside the URL bar: "No profile", then every profile with its folder and status.

Embedding API (a QComboBox: it can replace the editor's plain combo; item data is the profile identity, so
`currentData()` is what RequestSpec.profile holds):

    picker = ProfilePicker(parent=None, *, view=None)   view: the window's ViewState (screen-share-safe mode)
    picker.profile_changed                 Signal(object): the selected Profile, or None, whenever it changes
    picker.bind(model)                     follow a ProfilesModel (set_profiles on every reload)
    picker.set_profiles(profiles, statuses)   statuses: identity -> ProfileStatus or a plain state string
    picker.current_profile() -> Profile | None
    picker.select_identity(identity)       select by identity; counts as the user's choice, so the URL no
                                           longer changes it (None or an unknown one: suggestions resume)
    picker.url_changed(url)                call on every URL edit: selects the suggestion unless the user
                                           chose one by hand
    picker.suggest_for_url(url) -> Profile | None   the longest base_url prefix, same origin; None when tied
    picker.is_suggested() -> bool          the selection came from the URL (drawn as "suggested")
    picker.set_screen_share_safe(on)       leave folder paths (user names) out of tooltips (sets view's mode)

A choice the user makes with the mouse or keyboard (`activated`) stops the suggestions until a new request
is loaded with select_identity(). Broken files are listed but cannot be chosen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPaintEvent, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QWidget

from inspector.ui.profile_status import BROKEN, READY, SECRET_MISSING, ProfileStatus
from inspector.ui.view_state import ViewState, plain_tip

if TYPE_CHECKING:  # the model and the profile types load with the profiles, after the window is up
    from inspector.core.profiles import Profile
    from inspector.ui.profiles_model import ProfilesModel

NO_PROFILE = "No profile"
SUGGESTED = "suggested"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_and_path(url: str) -> tuple[tuple[str, str, int], str] | None:
    """((scheme, host, port), path) of an http(s) URL; None when it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return (scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]), parts.path or "/"


def base_url_match(base_url: str, url: str) -> int | None:
    """How long a prefix of url's path base_url covers (same origin, whole path segments); None: no match."""
    base = _origin_and_path(base_url)
    target = _origin_and_path(url)
    if base is None or target is None or base[0] != target[0]:
        return None
    prefix = base[1].rstrip("/")
    path = target[1]
    if prefix and path != prefix and not path.startswith(prefix + "/"):
        return None
    return len(prefix)


def folder_labels(folders: Sequence[tuple[Path, str]]) -> dict[Path, str]:
    """A short label per folder: 'personal', 'billing-profiles (team)'; parents added where names clash."""
    out: dict[Path, str] = {}
    names = [f.name or str(f) for f, _ in folders]
    for (folder, kind), name in zip(folders, names, strict=True):
        if kind == "personal":
            out[folder] = "personal"
            continue
        if names.count(name) > 1 and folder.parent.name:
            name = f"{folder.parent.name}/{name}"
        out[folder] = f"{name} ({kind})"
    return out


class ProfilePicker(QComboBox):
    """Which profile the request is sent with; follows the URL until the user picks one."""

    profile_changed = Signal(object)  # Profile | None

    def __init__(self, parent: QWidget | None = None, *, view: ViewState | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profilePicker")
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.setMinimumContentsLength(12)
        self._profiles: dict[str, Profile] = {}
        self._statuses: dict[str, ProfileStatus] = {}
        self._manual = False  # the user chose; suggestions stop
        self._suggested = False  # the current selection came from url_changed
        self._url = ""
        self._emitted: Profile | None = None
        self._tie_note = ""
        self._model: ProfilesModel | None = None
        self.addItem(NO_PROFILE, None)
        self.currentIndexChanged.connect(self._on_index_changed)
        self.activated.connect(self._on_activated)
        self.view_state = view or ViewState(self)
        self.view_state.safe_changed.connect(self._apply_safe)
        self._update_tooltip()

    # -- content -------------------------------------------------------------------------------------------
    def bind(self, model: ProfilesModel) -> None:
        """Show model's profiles now and after every reload."""
        self._model = model
        model.profiles_changed.connect(self._on_model_changed)  # a bound slot: disconnected with the picker
        self._on_model_changed()

    def _on_model_changed(self) -> None:
        if self._model is not None:
            self.set_profiles(self._model.profiles, self._model.statuses)

    def set_profiles(
        self, profiles: Sequence[Profile], statuses: Mapping[str, ProfileStatus | str] | None = None
    ) -> None:
        """Replace the list; the selection is kept by identity when the profile is still there."""
        statuses = statuses or {}
        self._statuses = {
            k: v if isinstance(v, ProfileStatus) else ProfileStatus(str(v)) for k, v in statuses.items()
        }
        self._profiles = {p.identity: p for p in profiles}
        keep = self.currentData()
        folders: list[tuple[Path, str]] = []
        for p in profiles:
            if (p.folder, p.folder_kind) not in folders:
                folders.append((p.folder, p.folder_kind))
        broken = [(k, s) for k, s in self._statuses.items() if s.state == BROKEN and k not in self._profiles]
        for _, s in broken:
            folder = s.path.parent if s.path else Path("?")
            if all(f != folder for f, _ in folders):
                folders.append((folder, s.folder_kind or "folder"))
        labels = folder_labels(folders)

        self.blockSignals(True)
        try:
            while self.count() > 1:
                self.removeItem(1)
            for p in profiles:
                status = self._statuses.get(p.identity, ProfileStatus(READY))
                text = f"{p.name} — {labels.get(p.folder, p.folder_kind)}"
                if status.state != READY:
                    text += f" · {status.state}"
                self.addItem(text, p.identity)
                self._decorate(self.count() - 1, p.folder, status, base_url=p.base_url)
            for identity, s in broken:
                folder = s.path.parent if s.path else Path("?")
                stem = s.path.stem if s.path else identity
                self.addItem(f"{stem} — {labels.get(folder, '')} · {s.label}", identity)
                self._decorate(self.count() - 1, folder, s, base_url=None)
                self._set_enabled(self.count() - 1, False)
            index = self.findData(keep) if keep is not None else 0
            if keep is not None and (index < 0 or keep not in self._profiles):
                index = 0
                self._manual = False  # what the user chose is gone: suggestions may pick again
                self._suggested = False
            self.setCurrentIndex(index)
        finally:
            self.blockSignals(False)
        if not self._manual and self._url:
            self._apply_suggestion(self._url)
        self._sync()

    def _decorate(self, index: int, folder: Path, status: ProfileStatus, *, base_url: str | None) -> None:
        from PySide6.QtWidgets import QStyle  # its enums take a while to build: not before the first paint

        icon = {
            SECRET_MISSING: QStyle.StandardPixmap.SP_MessageBoxWarning,
            BROKEN: QStyle.StandardPixmap.SP_MessageBoxCritical,
        }.get(status.state)
        if icon is not None:
            self.setItemIcon(index, self.style().standardIcon(icon))
        tip = [] if self.view_state.safe else [f"Folder: {folder}"]
        if base_url:
            tip.append(f"Offered for URLs under {base_url}")
        if status.state != READY:
            tip.append(f"Status: {status.label}")
        if status.detail and not self.view_state.safe:
            tip.append(status.detail)
        elif status.detail:
            tip.append("(details hidden while screen sharing; open the profiles dialog)")
        # a team profile's name, a folder name and a file's error come from files others write: never HTML
        self.setItemData(index, plain_tip("\n".join(tip)), Qt.ItemDataRole.ToolTipRole)

    def _set_enabled(self, index: int, enabled: bool) -> None:
        model = self.model()
        if isinstance(model, QStandardItemModel):
            item = model.item(index)
            if item is not None:
                item.setEnabled(enabled)

    # -- selection -------------------------------------------------------------------------------------------
    def current_profile(self) -> Profile | None:
        identity = self.currentData()
        return self._profiles.get(identity) if isinstance(identity, str) else None

    def select_identity(self, identity: str | None) -> None:
        """Select a profile by identity; a known one counts as chosen, so the URL no longer changes it.
        None or an identity that is not listed lets the suggestion for the last URL (or "No profile")
        apply."""
        index = self.findData(identity) if identity is not None and identity in self._profiles else 0
        self._manual = index > 0
        self._suggested = False
        self.blockSignals(True)
        self.setCurrentIndex(index)
        self.blockSignals(False)
        if not self._manual and self._url:
            self._apply_suggestion(self._url)
        self._sync()

    def is_suggested(self) -> bool:
        return self._suggested

    def is_manual(self) -> bool:
        """Whether the user chose the current profile (suggestions are off)."""
        return self._manual

    # -- suggestions -----------------------------------------------------------------------------------------
    def _candidates(self, url: str) -> list[Profile]:
        best: list[Profile] = []
        best_len = -1
        for p in self._profiles.values():
            if not p.base_url:
                continue
            n = base_url_match(p.base_url, url)
            if n is None or n < best_len:
                continue
            if n > best_len:
                best, best_len = [], n
            best.append(p)
        return best

    def suggest_for_url(self, url: str) -> Profile | None:
        """The profile whose base_url is the longest prefix of url (same origin); None when none or a tie."""
        best = self._candidates(url)
        if len(best) > 1:  # prefer the one that can be used; still a tie: let the user pick
            usable = [p for p in best if self._statuses.get(p.identity, ProfileStatus(READY)).state == READY]
            best = usable if usable else best
        return best[0] if len(best) == 1 else None

    def url_changed(self, url: str) -> None:
        """The editor's URL changed: follow it unless the user picked a profile by hand."""
        self._url = url
        if self._manual:
            return
        self._apply_suggestion(url)
        self._sync()

    def _apply_suggestion(self, url: str) -> None:
        suggestion = self.suggest_for_url(url)
        tied = self._candidates(url) if suggestion is None else []
        self._tie_note = f"{len(tied)} profiles are offered for this URL: pick one." if len(tied) > 1 else ""
        index = self.findData(suggestion.identity) if suggestion is not None else 0
        self._suggested = suggestion is not None
        self.blockSignals(True)
        self.setCurrentIndex(max(0, index))
        self.blockSignals(False)

    # -- events ----------------------------------------------------------------------------------------------
    def _on_activated(self, index: int) -> None:
        self._manual = True
        self._suggested = False
        self._tie_note = ""
        self._sync()

    def _on_index_changed(self, index: int) -> None:
        self._sync()

    def _sync(self) -> None:
        """Emit profile_changed when the selected profile differs from the last one told; refresh the look."""
        current = self.current_profile()
        if current is None:
            self._suggested = False
        self._update_tooltip()
        self.updateGeometry()
        self.update()
        if current != self._emitted:
            self._emitted = current
            self.profile_changed.emit(current)

    def _update_tooltip(self) -> None:
        p = self.current_profile()
        if p is None:
            tip = "Credentials profile for this request: none."
        else:
            status = self._statuses.get(p.identity, ProfileStatus(READY))
            tip = f"Credentials profile: {p.name} ({p.kind})"
            if self._suggested:
                tip += f"\nSuggested because the URL is under {p.base_url}; pick another to override."
            if status.state != READY:
                tip += f"\nStatus: {status.label}"
                if status.detail and not self.view_state.safe:
                    tip += f"\n{status.detail}"
        if self._tie_note:
            tip += f"\n{self._tie_note}"
        self.setToolTip(plain_tip(tip))

    def set_screen_share_safe(self, on: bool) -> None:
        """Leave folder paths and problem details out of tooltips (no secret is ever shown here)."""
        self.view_state.set_safe(on)

    def _apply_safe(self, _on: bool) -> None:
        self.set_profiles(list(self._profiles.values()), self._statuses)

    def screen_share_safe(self) -> bool:
        return self.view_state.safe

    # -- drawing: the "suggested" hint inside the closed combo ---------------------------------------------
    def _hint(self) -> str:
        return f"  ({SUGGESTED})" if self._suggested else ""

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self._suggested:  # nothing to add: the combo draws itself (no QStyle enums built from Python)
            super().paintEvent(event)
            return
        from PySide6.QtWidgets import QStyle, QStyleOptionComboBox, QStylePainter

        painter = QStylePainter(self)
        opt = QStyleOptionComboBox()
        self.initStyleOption(opt)
        if self._suggested:
            opt.currentText = opt.currentText + self._hint()
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, opt)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, opt)

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        # Room for the hint always, so the bar does not jump when a suggestion comes and goes.
        extra = self.fontMetrics().horizontalAdvance(f"  ({SUGGESTED})")
        return QSize(hint.width() + extra, hint.height())
