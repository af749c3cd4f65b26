"""The explainer pane: the verdict in words, the findings, what the server said, the token and its timeline.

It also holds a paste box that decodes a token on its own, offline (inspector.core.diagnosis.inspect_alone);
an optional JWKS signature check runs on a worker thread and can be cancelled. Widgets here decide nothing:
every judgement comes from core.diagnosis.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from threading import Event
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.expectations import Expectations
from inspector.core.redact import NO_SECRETS, Secrets, is_secret_header, mask, mask_url
from inspector.ui.jobs import JobRunner
from inspector.ui.lazy import BuiltOnUse, is_built
from inspector.ui.theme import LIGHT, Theme, verdict_color
from inspector.ui.view_state import MaskedLabel, ViewState, breakable, escape
from inspector.ui.wheel_guard import guard_wheel

# An empty panel shows a placeholder, the expectations and the decoder's tab: the parts that show a result
# (and the story, the evidence, the timeline and Qt's painting classes they use) are made on first use.
if TYPE_CHECKING:
    from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QIcon, QPixmap
    from PySide6.QtWidgets import QStyle  # its enums take PySide ~15 ms to build: imported where used

    from inspector.core.challenges import Challenge
    from inspector.core.diagnosis import Diagnosis
    from inspector.core.diagnosis.findings import Finding
    from inspector.core.diagnosis.story import Story, TransportStory
    from inspector.core.exchange import Exchange
    from inspector.core.pipeline import SendResult
    from inspector.core.retry import RetryOutcome
    from inspector.core.timeline import Timeline
    from inspector.core.tokens import SentCredential, TokenInfo
    from inspector.ui.timeline_widget import TimelineWidget

# The colours live in the theme (ui/theme.py); these names stay for callers that read them.
VERDICT_COLORS = LIGHT.verdict
SEVERITY_COLORS = LIGHT.severity
SEVERITY_WORDS = {"error": "Problem", "warning": "Warning", "info": "Note"}

# One line on what each registered or common claim means, for a support engineer reading a token.
CLAIM_HELP = {
    "iss": "Issuer: who made and signed the token. Must match what the API trusts, character for character.",
    "sub": "Subject: the user or client the token speaks for.",
    "aud": "Audience: the API(s) the token is meant for. An API refuses a token made for someone else.",
    "exp": "Expires at: after this moment (plus a small leeway) the token must be refused.",
    "nbf": "Not before: the token must be refused before this moment.",
    "iat": "Issued at: when the token was made.",
    "jti": "Token id: unique per token, used to detect replays and to revoke.",
    "auth_time": "When the user last actually signed in; step-up checks compare it with max_age.",
    "acr": "Authentication context: how strong the sign-in was (for example a multi-factor level).",
    "amr": "Authentication methods used to sign in (pwd, mfa, otp, hwk, ...).",
    "azp": "Authorized party: the client the token was issued to.",
    "scope": "Scopes granted (space-separated): what the client may do with the API.",
    "scp": "Scopes granted (Microsoft and Okta spelling of scope).",
    "roles": "Roles granted to the user or application.",
    "permissions": "Permissions granted (Auth0 role-based access control).",
    "groups": "Groups the user belongs to.",
    "nonce": "Echo of the sign-in request's nonce: marks an ID token, which an API should not accept.",
    "at_hash": "Hash of the access token issued alongside: marks an ID token, not an access token.",
    "c_hash": "Hash of the authorization code: marks an ID token.",
    "s_hash": "Hash of the state parameter: marks an ID token.",
    "cnf": "Confirmation: the key the token is bound to (DPoP jkt, mTLS x5t#S256); send it with that proof.",
    "token_use": "AWS Cognito token kind: 'access' or 'id'. APIs want 'access'.",
    "typ": "Token type (Keycloak: Bearer, ID, Refresh). APIs want an access (Bearer) token.",
    "token_type": "Token type named by the issuer (access, refresh, ...).",
    "client_id": "The OAuth client that asked for the token.",
    "cid": "The OAuth client that asked for the token (Okta).",
    "appid": "The application (client) id that asked for the token (Microsoft v1).",
    "tid": "Microsoft Entra tenant id: the directory that issued the token.",
    "oid": "Microsoft Entra object id of the user or application.",
    "uid": "User id (Okta).",
    "ver": "Token format version (Microsoft: 1.0 or 2.0; the issuer differs between them).",
    "sid": "Session id at the identity provider.",
    "idp": "The identity provider that authenticated the user.",
    "upn": "User principal name (Microsoft).",
    "preferred_username": "The name the user signs in with.",
    "email": "The user's email address.",
    "email_verified": "Whether the identity provider verified the email address.",
    "name": "The user's display name.",
    "given_name": "The user's first name.",
    "family_name": "The user's last name.",
    "realm_access": "Keycloak realm roles.",
    "resource_access": "Keycloak roles per client.",
    "act": "Actor: who acts on behalf of the subject (token exchange, delegation).",
    "may_act": "Who is allowed to act on behalf of the subject.",
    "updated_at": "When the user's profile was last updated.",
}
HEADER_HELP = {
    "alg": "Signature algorithm. 'none' means unsigned; HS* uses a shared secret, RS/ES/PS* a public key.",
    "typ": "Media type of the token (JWT, at+jwt for access tokens, dpop+jwt for DPoP proofs).",
    "kid": "Key id: which of the issuer's keys signed it (looked up in the JWKS).",
    "jku": "URL of a key set named by the token itself: never trust it blindly.",
    "x5u": "URL of a certificate named by the token itself: never trust it blindly.",
    "x5c": "Certificate chain embedded in the token.",
    "x5t": "Thumbprint (SHA-1) of the signing certificate.",
    "x5t#S256": "Thumbprint (SHA-256) of the signing certificate.",
    "cty": "Content type of the payload (JWT when nested).",
    "enc": "Content encryption algorithm (JWE).",
    "zip": "Compression of the payload (JWE).",
    "crit": "Header parameters the receiver must understand.",
    "jwk": "A public key embedded in the header.",
}
_SECRET_EVIDENCE_KEYS = frozenset({"token", "raw", "credential", "value", "secret", "password", "api_key"})
TIME_CLAIMS = ("exp", "nbf", "iat", "auth_time", "updated_at")
LIST_CLAIMS = ("aud", "scope", "scp", "roles", "permissions", "groups", "amr")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def ordered_findings(findings: Iterable[Finding]) -> list[Finding]:
    """error, then warning, then info; the explainer's order kept within a severity."""
    from inspector.core.diagnosis.findings import SEVERITY_RANK

    return sorted(findings, key=lambda f: SEVERITY_RANK.get(f.severity, len(SEVERITY_RANK)))


def claim_words(value: object) -> list[str] | None:
    """A list claim or a space-separated scope string as separate words; None for other shapes."""
    if isinstance(value, str):
        return [w for w in value.replace(",", " ").split() if w]
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    return None


def describe_moment(when: datetime, reference: datetime | None, ref_words: str) -> str:
    """'2024-05-01 09:55:48 UTC · 11:55:48 local (CEST) · 4 min 12 s before the request'."""
    from inspector.core.timeline import describe_relative

    utc = when.astimezone(UTC)
    local = when.astimezone()
    zone = local.tzname() or "local"
    parts = [f"{utc:%Y-%m-%d %H:%M:%S} UTC", f"{local:%Y-%m-%d %H:%M:%S} local ({zone})"]
    if reference is not None:
        delta = (when - reference).total_seconds()
        if abs(delta) < 1:
            parts.append(f"at {ref_words}")
        elif ref_words == "now":
            parts.append(f"in {describe_relative(delta)}" if delta > 0 else f"{describe_relative(delta)} ago")
        else:
            parts.append(f"{describe_relative(delta)} {'after' if delta > 0 else 'before'} {ref_words}")
    return " · ".join(parts)


def format_claim(name: str, value: object, reference: datetime | None, ref_words: str) -> str:
    """A claim's value as a person reads it: times in words, lists comma-separated, objects as JSON."""
    if name in TIME_CLAIMS and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            when = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return str(value)
        return f"{value}\n{describe_moment(when, reference, ref_words)}".replace(" · ", "\n")
    if name in LIST_CLAIMS:
        words = claim_words(value)
        if words is not None:
            return ", ".join(words) if words else "(empty)"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _evidence_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _label(text: str = "", *, wrap: bool = True, selectable: bool = True, rich: bool = False) -> QLabel:
    lab = QLabel(text)
    lab.setWordWrap(wrap)
    lab.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    if selectable:
        lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    policy = lab.sizePolicy()  # keep the height-for-width flag a word-wrapped label sets
    policy.setVerticalPolicy(QSizePolicy.Policy.Minimum)
    lab.setSizePolicy(policy)
    return lab


def _masked_label(view: ViewState, name: str,
                  known: Callable[[], tuple[Iterable[str], Iterable[str]]]) -> QLabel:
    """A word-wrapped, selectable label of text that may quote a secret (see view_state.MaskedLabel)."""
    lab = MaskedLabel(view, name=name, known=known, after=breakable)
    lab.setWordWrap(True)
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    policy = lab.sizePolicy()
    policy.setVerticalPolicy(QSizePolicy.Policy.Minimum)
    lab.setSizePolicy(policy)
    return lab


_STANDARD_ICONS: dict[tuple[str, QStyle.StandardPixmap], QIcon] = {}


def _standard_pixmap(style: QStyle, pix: QStyle.StandardPixmap) -> QPixmap:
    """The style's icon as a 20 px pixmap, from one QIcon per icon: each new QIcon caches its pixmaps under new
    keys, so a card per finding per send would fill Qt's pixmap cache (10 MB) with copies."""
    key = (style.objectName() or type(style).__name__, pix)
    icon = _STANDARD_ICONS.get(key)
    if icon is None:
        icon = _STANDARD_ICONS[key] = style.standardIcon(pix)
    return icon.pixmap(20, 20)


def _heading(text: str) -> QLabel:
    lab = QLabel(text)
    f = lab.font()
    f.setBold(True)
    f.setPointSizeF(f.pointSizeF() * 1.1)
    lab.setFont(f)
    return lab


def _fitted_minimum(widget: QWidget) -> QSize | None:
    """The minimum height at the widget's current width (for layouts holding word-wrapped labels)."""
    lay = widget.layout()
    if lay is None or not lay.hasHeightForWidth():
        return None
    # a word-wrapped label reports its height at its narrowest width, which leaves empty bands when wider
    lay.setSizeConstraint(QVBoxLayout.SizeConstraint.SetNoConstraint)
    return QSize(lay.minimumSize().width(), lay.totalHeightForWidth(max(widget.width(), 1)))


def _clear_layout(layout: QVBoxLayout | QGridLayout | QHBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item is None:  # cannot happen while count() > 0; stops the loop rather than spinning if it does
            break
        w = item.widget()
        if w is not None:
            w.setParent(None)
            w.deleteLater()


class _SecretView(QWidget):
    """A secret shown masked, with a 'Show' toggle that screen-share-safe mode disables."""

    def __init__(self, view: ViewState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = ""
        self._prefix = ""
        self._view = view
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.text = _label(wrap=True)
        self.text.setObjectName("secretText")
        f = self.text.font()
        f.setFamily("monospace")
        f.setStyleHint(f.StyleHint.Monospace)
        self.text.setFont(f)
        self.toggle = QToolButton()
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip("Show the full value on screen")
        self.toggle.toggled.connect(self._refresh)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignTop)
        view.follow_safe(self._apply_safe)

    def set_value(self, value: str, prefix: str = "") -> None:
        self._value = value
        self._prefix = prefix
        self.toggle.setChecked(False)
        self._refresh()

    def _apply_safe(self, on: bool) -> None:
        if on:
            self.toggle.setChecked(False)
        self.toggle.setEnabled(not on)
        self.toggle.setToolTip("Hidden while screen-share-safe mode is on" if on else "Show the full value")
        self._refresh()

    def _refresh(self) -> None:
        shown = self._value if self.toggle.isChecked() and not self._view.safe else mask(self._value)
        self.text.setText(breakable(f"{self._prefix}{shown}"))
        self.toggle.setText("Hide" if self.toggle.isChecked() else "Show")


class _FitTable(QTableWidget):
    """A table as tall as its rows (the pane scrolls, not the table); rows re-wrap on resize."""

    def __init__(self, columns: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(0, len(columns), parent)
        self.setHorizontalHeaderLabels(list(columns))
        self.verticalHeader().setVisible(False)
        self.setWordWrap(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAlternatingRowColors(True)
        head = self.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for c in range(1, len(columns)):
            head.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch)
        head.sectionResized.connect(lambda *_: self.fit())
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: Sequence[Sequence[str]], tooltips: Sequence[str] | None = None) -> None:
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                if tooltips and tooltips[r]:
                    item.setToolTip(tooltips[r])
                self.setItem(r, c, item)
        self.fit()

    def fit(self) -> None:
        self.resizeRowsToContents()
        head = self.horizontalHeader()
        h = max(head.height(), head.sizeHint().height()) + 2 * self.frameWidth()
        h += self.verticalHeader().length()
        self.setFixedHeight(h)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit()
        # stretched columns settle after this event: measure the wrapped rows again once they have
        QTimer.singleShot(0, self, self.fit)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._fix_alternate_rows()

    def _fix_alternate_rows(self) -> None:
        """On a dark palette whose alternate row colour is light, derive one from the base colour."""
        from PySide6.QtGui import QPalette

        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        alt = pal.color(QPalette.ColorRole.AlternateBase)
        if base.lightness() < 128 and alt.lightness() >= 128:
            pal.setColor(QPalette.ColorRole.AlternateBase, base.lighter(135))
            self.setPalette(pal)

    def column_texts(self, column: int) -> list[str]:
        # a cell never set has no item: it shows nothing, so it reads as ""
        items = (self.item(r, column) for r in range(self.rowCount()))
        return [item.text() if item is not None else "" for item in items]


_DRAWN = object()  # what next() gives for a drawing in steps that has no step left


class FindingCard(QFrame):
    """One finding: severity icon and colour, title, detail, evidence, next step."""

    def __init__(self, finding: Finding, scrub: Callable[[str, str], str], parent: QWidget | None = None,
                 *, theme: Theme = LIGHT):
        super().__init__(parent)
        from PySide6.QtGui import QColor, QPalette
        from PySide6.QtWidgets import QStyle

        from inspector.core.diagnosis.evidence import evidence_items

        self.finding = finding
        self.setObjectName("findingCard")
        self.color = QColor(theme.severity.get(finding.severity, theme.severity_other))
        color = self.color.name()
        grid = QGridLayout(self)
        grid.setContentsMargins(14, 8, 10, 8)
        grid.setHorizontalSpacing(8)
        icon = QLabel()
        pix = {
            "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
            "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
        }.get(finding.severity, QStyle.StandardPixmap.SP_MessageBoxInformation)
        icon.setPixmap(_standard_pixmap(self.style(), pix))
        icon.setToolTip(SEVERITY_WORDS.get(finding.severity, finding.severity))
        grid.addWidget(icon, 0, 0, Qt.AlignmentFlag.AlignTop)
        head = _label(
            f"<b>{escape(finding.title)}</b> "
            f"<span style='color:{color}'>({SEVERITY_WORDS.get(finding.severity, finding.severity).lower()}"
            f" · {escape(finding.id)})</span>",
            rich=True,
        )
        head.setObjectName("findingTitle")
        grid.addWidget(head, 0, 1)
        row = 1
        if finding.detail:
            detail = _label(breakable(scrub("detail", finding.detail)))
            detail.setObjectName("findingDetail")
            grid.addWidget(detail, row, 1)
            row += 1
        # The evidence in words (no nulls, no internal names); the raw values behind a Details toggle.
        lines = evidence_items(finding)
        if lines:
            cap = _label("Evidence", wrap=False, selectable=False)
            cap.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            grid.addWidget(cap, row, 1)
            human = QWidget()
            human.setObjectName("evidenceLines")
            hg = QGridLayout(human)
            hg.setContentsMargins(0, 2, 0, 2)
            hg.setHorizontalSpacing(10)
            hg.setVerticalSpacing(1)
            for i, (ev_key, label, value) in enumerate(lines):
                name = _label(label, wrap=False)
                name.setForegroundRole(QPalette.ColorRole.PlaceholderText)
                text = _label(breakable(scrub(ev_key, value)))
                text.setObjectName("evidenceLine")
                hg.addWidget(name, i, 0, Qt.AlignmentFlag.AlignTop)
                hg.addWidget(text, i, 1)
            hg.setColumnStretch(1, 1)
            grid.addWidget(human, row + 1, 1)
            row += 2
        self.details_toggle: QToolButton | None = None
        self.details: QWidget | None = None
        if finding.evidence:
            self.details_toggle = QToolButton()
            self.details_toggle.setObjectName("evidenceDetailsToggle")
            self.details_toggle.setText("Details")
            self.details_toggle.setCheckable(True)
            self.details_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            self.details_toggle.setArrowType(Qt.ArrowType.RightArrow)
            self.details_toggle.setAutoRaise(True)
            self.details_toggle.setToolTip("Show the raw values the finding was drawn from")
            ev = QWidget()  # its rows are made when first shown: most cards are never opened
            ev.setObjectName("evidenceDetails")
            ev.setVisible(False)
            self.details = ev
            self._scrub = scrub
            self.details_toggle.toggled.connect(self._show_details)
            grid.addWidget(self.details_toggle, row, 1, Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(ev, row + 1, 1)
            row += 2
        if finding.next_step:
            nxt = _label(
                f"<b>Next step:</b> {escape(breakable(scrub('next_step', finding.next_step)))}",
                rich=True,
            )
            nxt.setObjectName("findingNextStep")
            grid.addWidget(nxt, row, 1)
            row += 1
        grid.setColumnStretch(1, 1)
        self._grid, self._next_row = grid, row
        self.fix_button: QPushButton | None = None

    def add_fix_button(self, label: str) -> QPushButton:
        """A "Try the fix" button under the next step ('Try with a fresh token'); the panel connects it."""
        if self.fix_button is None:
            self.fix_button = QPushButton(label)
            self.fix_button.setObjectName("tryFixButton")
            self.fix_button.setToolTip("Send the same request again with this fix, and compare the two answers")
            self._grid.addWidget(self.fix_button, self._next_row, 1, Qt.AlignmentFlag.AlignLeft)
        self.fix_button.setText(label)
        return self.fix_button

    def _fill_details(self, ev: QWidget) -> None:
        """The raw evidence values, one row each (masked as the rest of the card)."""
        from PySide6.QtGui import QPalette

        eg = QGridLayout(ev)
        eg.setContentsMargins(0, 2, 0, 2)
        eg.setHorizontalSpacing(10)
        eg.setVerticalSpacing(1)
        for i, (k, v) in enumerate(self.finding.evidence.items()):
            key = _label(str(k), wrap=False)
            key.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            val = _label(breakable(self._scrub(str(k), _evidence_text(v))))
            val.setObjectName("evidenceValue")
            f = val.font()
            f.setStyleHint(f.StyleHint.Monospace)
            f.setFamily("monospace")
            val.setFont(f)
            eg.addWidget(key, i, 0, Qt.AlignmentFlag.AlignTop)
            eg.addWidget(val, i, 1)
        eg.setColumnStretch(1, 1)

    def _show_details(self, on: bool) -> None:
        if self.details is None or self.details_toggle is None:
            return
        if on and self.details.layout() is None:
            self._fill_details(self.details)
        self.details_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.details.setVisible(on)
        self.updateGeometry()

    def details_shown(self) -> bool:
        return self.details is not None and self.details.isVisibleTo(self)

    def minimumSizeHint(self) -> QSize:
        return _fitted_minimum(self) or super().minimumSizeHint()

    def paintEvent(self, event) -> None:
        # painted rather than style-sheeted: a style sheet would reset the labels' palette to the app's
        from PySide6.QtGui import QColor, QPainter, QPalette, QPen

        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        frame = QColor(self.palette().color(QPalette.ColorRole.WindowText))
        frame.setAlpha(70)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QPen(frame, 1))
        p.drawRoundedRect(r, 4, 4)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.color)
        p.drawRoundedRect(QRectF(r.left(), r.top(), 5, r.height()), 2, 2)
        p.end()


class FindingsView(QWidget):
    def __init__(self, parent: QWidget | None = None, *, view: ViewState | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(6)
        self.cards: list[FindingCard] = []
        self.quiet_text = ""

    def set_findings(self, findings: Iterable[Finding], scrub: Callable[[str, str], str], *,
                     quiet: str | None = None, ordered: bool = False) -> None:
        """Show the findings as cards; `ordered`: keep the order given (a Story's: its lead first), else sort
        by severity. `quiet` is said when there is none ("" says nothing; None: story.QUIET_OK)."""
        if quiet is None:
            from inspector.core.diagnosis.story import QUIET_OK

            quiet = QUIET_OK
        _clear_layout(self._lay)
        theme = self._view.theme if self._view is not None else LIGHT
        shown = list(findings) if ordered else ordered_findings(findings)
        self.cards = [FindingCard(f, scrub, theme=theme) for f in shown]
        for card in self.cards:
            self._lay.addWidget(card)
            card.show()  # at once, not on the next event loop turn, so a grab right away shows it
        self.quiet_text = quiet if not self.cards else ""
        if self.quiet_text:
            lab = _label(quiet)
            lab.setObjectName("findingsQuiet")
            self._lay.addWidget(lab)

    def ids(self) -> list[str]:
        return [c.finding.id for c in self.cards]


class TokenView(QWidget):
    """A token: format, signature badge, raw value (masked), header and claims tables, and its timeline."""

    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], datetime] | None = None,
                 view: ViewState | None = None) -> None:
        super().__init__(parent)
        self._clock = clock or _utc_now
        self._view = view or ViewState(self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.format_label = _label(wrap=True)
        self.format_label.setObjectName("tokenFormat")
        lay.addWidget(self.format_label)
        # a failed check quotes a library's or a JWKS server's words: plain text, masked
        self.badge = MaskedLabel(self._view, name="signatureBadge",
                                 known=lambda: ((self._token.raw,) if self._token else (), ()))
        self.badge.setWordWrap(True)
        self.badge.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Minimum)
        lay.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignLeft)
        self.raw = _SecretView(self._view)
        self.raw.setObjectName("rawToken")
        lay.addWidget(self.raw)
        self.glance = _label(rich=True)
        self.glance.setObjectName("claimsAtAGlance")
        lay.addWidget(self.glance)
        self.problem = _label()
        self.problem.setObjectName("tokenProblem")
        lay.addWidget(self.problem)
        self.header_caption = _label("Header", wrap=False, selectable=False)
        lay.addWidget(self.header_caption)
        self.header_table = _FitTable(["Parameter", "Value", "What it means"])
        self.header_table.setObjectName("headerTable")
        lay.addWidget(self.header_table)
        self.claims_caption = _label(
            "Claims (decoded; trust them only when the signature is verified)", wrap=True
        )
        lay.addWidget(self.claims_caption)
        self.claims_table = _FitTable(["Claim", "Value", "What it means"])
        self.claims_table.setObjectName("claimsTable")
        lay.addWidget(self.claims_table)
        self.timeline_caption = _label("Expiry timeline", wrap=False, selectable=False)
        lay.addWidget(self.timeline_caption)
        from inspector.ui.timeline_widget import TimelineWidget

        self.timeline: TimelineWidget = TimelineWidget(clock=self._clock)
        lay.addWidget(self.timeline)
        self._token: TokenInfo | None = None

    def set_token(self, token: TokenInfo, timeline: Timeline | None, *, alone: bool = False) -> None:
        """Show a token; alone=True judges times against now (a pasted token), else against the request."""
        self._token = token
        self.format_label.setText(
            {
                "jws": "Signed JWT (JWS): header and claims are readable by anyone.",
                "jwe": "Encrypted JWT (JWE): only the header can be read without the key.",
                "opaque": "Not a JWT (opaque): only the server that issued it can look inside "
                "(introspection).",
            }.get(token.format, f"Token format: {token.format}")
        )
        self._set_badge(token)
        self.raw.set_value(token.raw)
        self.problem.setVisible(bool(token.decode_error))
        self.problem.setText(f"Cannot decode: {token.decode_error}" if token.decode_error else "")

        if alone:
            reference: datetime | None = self._clock()
            ref_words = "now"
        else:
            from inspector.ui.timeline_widget import request_moment

            reference, _ = request_moment(timeline) if timeline is not None else (None, "none")
            ref_words = "the request"
        header = dict(token.header)
        self.header_caption.setVisible(bool(header))
        self.header_table.setVisible(bool(header))
        self.header_table.set_rows(
            [(k, format_claim(k, v, None, ""), HEADER_HELP.get(k, "")) for k, v in header.items()]
        )
        claims = dict(token.claims)
        self.claims_caption.setVisible(bool(claims))
        self.claims_table.setVisible(bool(claims))
        self.claims_table.set_rows(
            [(k, format_claim(k, v, reference, ref_words), CLAIM_HELP.get(k, "")) for k, v in claims.items()]
        )
        self._set_glance(claims)
        show_tl = timeline is not None and any(
            t is not None for t in (timeline.issued_at, timeline.not_before, timeline.expires_at)
        )
        self.timeline_caption.setVisible(show_tl)
        self.timeline.setVisible(show_tl)
        if show_tl and timeline is not None and alone:
            # a pasted token has no request: judge it against the ticking local clock only
            timeline = replace(
                timeline,
                sent_at=None,
                server_date=None,
                clock_skew_s=None,
                remaining_s=None,
                reference_time=None,
            )
        self.timeline.set_timeline(timeline if show_tl else None)

    def _set_badge(self, token: TokenInfo) -> None:
        theme = self._view.theme
        if token.verified:
            text, bg = "✔ Signature verified", theme.badge["verified"]
        elif token.verify_error:
            text, bg = f"✘ Signature check failed: {token.verify_error}", theme.badge["failed"]
        elif token.format == "jws":
            text, bg = "Signature not checked", theme.badge["unchecked"]
        else:
            text, bg = "No signature to check here", theme.badge["none"]
        self.badge.setWordWrap(len(text) > 60)
        self.badge.setText(text)
        self.badge.setProperty("verified", token.verified)
        self.badge.setStyleSheet(
            f"QLabel#signatureBadge {{ background: {bg}; color: {theme.badge_text}; border-radius: 4px;"
            " padding: 2px 8px; font-weight: 600; }"
        )

    def _set_glance(self, claims: Mapping[str, object]) -> None:
        chip_bg, chip_fg = self._view.theme.chip_bg, self._view.theme.chip_text
        rows = []
        for name, label in (
            ("aud", "Audience"),
            ("scope", "Scopes"),
            ("scp", "Scopes"),
            ("roles", "Roles"),
            ("permissions", "Permissions"),
        ):
            words = claim_words(claims.get(name)) if name in claims else None
            if words is None:
                continue
            chips = " ".join(
                f"<span style='background-color:{chip_bg}; color:{chip_fg}'>&nbsp;{escape(w)}&nbsp;</span>"
                for w in words
            )
            rows.append(f"<b>{label}</b> ({name}): {chips or '<i>none</i>'}")
        self.glance.setVisible(bool(rows))
        self.glance.setText("<br>".join(rows))


def _jwks_check(raw: str, url: str, now: datetime, cancel: Event) -> tuple[TokenInfo, Timeline | None,
                                                                         list[Finding]] | None:
    """Fetch the JWKS and check the pasted token's signature (a job, off the UI thread); None if cancelled."""
    from inspector.core.diagnosis import inspect_alone, strip_scheme
    from inspector.core.tokens import inspect_token, verify_token

    info = verify_token(inspect_token(strip_scheme(raw)), jwks_url=url, timeout_s=10.0, cancel=cancel)
    if cancel.is_set():
        return None
    return inspect_alone(raw, Expectations(jwks_url=url), now, token=info)


class _TokenEdit(QLineEdit):
    """A dropped token replaces what is in the box instead of being inserted into it."""

    def dropEvent(self, event: QDropEvent) -> None:
        if event.mimeData().hasText():
            self.setText(event.mimeData().text().strip())
            event.acceptProposedAction()
            return
        super().dropEvent(event)


class PasteBox(QGroupBox):
    """Decode a token on its own, offline, like a better jwt.io; optionally check it against a JWKS URL."""

    jwks_check_finished = Signal(str)  # "verified" | "failed" | "cancelled" | "error"

    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], datetime] | None = None,
                 view: ViewState | None = None) -> None:
        super().__init__("Decode a token on its own (offline)", parent)
        self._clock = clock or _utc_now
        self._view = view or ViewState(self)
        self.jobs = JobRunner(self, name="PasteBox")  # the signature check, in the "jwks" slot
        lay = QVBoxLayout(self)
        self.edit = _TokenEdit()
        self.edit.setObjectName("pasteToken")
        self.edit.setPlaceholderText("Paste or drop a token here (JWT, 'Bearer …' or an opaque token)")
        self.edit.setClearButtonEnabled(True)
        self.edit.textChanged.connect(self._decode)
        lay.addWidget(self.edit)
        row = QHBoxLayout()
        self.jwks_url = QLineEdit()
        self.jwks_url.setObjectName("jwksUrl")
        self.jwks_url.setPlaceholderText("JWKS URL to check the signature (optional; fetched on request)")
        self.check_button = QPushButton("Check signature")
        self.check_button.clicked.connect(lambda: self.start_jwks_check(self.jwks_url.text().strip()))
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_jwks_check)
        row.addWidget(self.jwks_url, 1)
        row.addWidget(self.check_button)
        row.addWidget(self.cancel_button)
        lay.addLayout(row)
        # the check's messages quote URLs and a library's words: masked, with the pasted token known
        self.status = MaskedLabel(self._view, name="pasteStatus",
                                  known=lambda: ((self.edit.text().strip(),), ()))
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.status)
        self.findings = FindingsView(view=self._view)
        lay.addWidget(self.findings)
        self.token_view = TokenView(clock=self._clock, view=self._view)
        lay.addWidget(self.token_view)
        self._result: tuple[TokenInfo, Timeline | None, list[Finding]] | None = None
        self._show(None)
        self._view.safe_changed.connect(self._apply_safe)
        self._apply_safe(self._view.safe)

    # -- public ----------------------------------------------------------------------------------------------
    def set_token_text(self, text: str) -> None:
        self.edit.setText(text.strip())

    def result(self) -> tuple[TokenInfo, Timeline | None, list[Finding]] | None:
        return self._result

    def _apply_safe(self, on: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Password if on else QLineEdit.EchoMode.Normal)
        if self._result is not None:
            self._show(self._result)

    def is_checking(self) -> bool:
        return self.jobs.current("jwks") is not None

    def start_jwks_check(self, url: str) -> None:
        """Fetch the JWKS at url and check the pasted token's signature on a worker thread."""
        raw = self.edit.text().strip()
        if not raw or not url:
            self.status.setText("Paste a token and give a JWKS URL to check its signature.")
            return
        self.cancel_jwks_check(quiet=True)
        now = self._clock()
        self.jobs.start("jwks", lambda job: _jwks_check(raw, url, now, job.cancel), on_done=self._jwks_done,
                        on_failed=self._jwks_failed)
        self.check_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Checking the signature against {mask_url(url)} …")

    def cancel_jwks_check(self, quiet: bool = False) -> None:
        if not self.is_checking():
            return
        self.jobs.cancel("jwks")  # a late answer from the cancelled check is ignored
        self.check_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if not quiet:
            self.status.setText("Signature check cancelled.")
            self.jwks_check_finished.emit("cancelled")

    def wait_for_workers(self, msecs: int = 15000) -> bool:
        """Wait for the signature check's thread (cancelled or not); True when it ended."""
        return self.jobs.join(msecs / 1000)

    def shutdown(self) -> None:
        """Cancel the signature check, not waiting for its thread (JobRunner.close)."""
        self.jobs.close()

    # -- internals -------------------------------------------------------------------------------------------
    def _decode(self, text: str) -> None:
        self.cancel_jwks_check(quiet=True)
        raw = text.strip()
        if not raw:
            self._show(None)
            return
        from inspector.core.diagnosis import inspect_alone

        self._show(inspect_alone(raw, Expectations(), self._clock()))

    def _show(self, result: tuple[TokenInfo, Timeline | None, list[Finding]] | None) -> None:
        self._result = result
        has = result is not None
        self.findings.setVisible(has)
        self.token_view.setVisible(has)
        if result is None:
            self.status.setText("Nothing is sent anywhere: the token is decoded on this machine.")
            self.findings.set_findings([], lambda _k, v: v)
            return
        info, timeline, findings = result
        self.findings.set_findings(findings, lambda _k, v: self._view.mask(v, secrets=(info.raw,)),
                                   quiet="Nothing wrong found in this token.")
        self.token_view.set_token(info, timeline, alone=True)
        if not self.is_checking():
            n = len([f for f in findings if f.severity == "error"])
            self.status.setText(
                f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
                f"{f', {n} of them problems' if n else ''}, judged against your clock now."
            )

    def _jwks_done(self, result: tuple[TokenInfo, Timeline | None, list[Finding]] | None) -> None:
        self.check_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if result is None:
            return
        self._show(result)
        info = result[0]
        self.status.setText(
            "The signature is valid for a key in the JWKS."
            if info.verified
            else f"The signature was not verified: {info.verify_error or 'unknown reason'}"
        )
        self.jwks_check_finished.emit("verified" if info.verified else "failed")

    def _jwks_failed(self, error: BaseException) -> None:
        self.check_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.status.setText(f"The signature check could not run: {error}")
        self.jwks_check_finished.emit("error")


class _Content(QWidget):
    """The scrolled page: as tall as its layout needs at the current width, not at its narrowest.

    Word-wrapped labels report their minimum height at their narrowest width, which a scroll area then uses,
    leaving bands of empty space or squeezing sections; so the page sets its own minimum height for its width,
    again whenever a section inside it lays itself out anew.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refit)

    def watch_sections(self) -> None:
        """Refit when any section with a layout asks for a new layout (call once the page is built)."""
        for w in self.findChildren(QWidget):
            if w.layout() is not None:
                w.installEventFilter(self)

    def schedule_refit(self) -> None:
        self._timer.start()

    def refit(self) -> None:
        lay = self.layout()
        if lay is None or not lay.hasHeightForWidth():
            return
        lay.invalidate()  # a section's height for this width may have changed without telling this layout
        need = lay.totalHeightForWidth(max(self.width(), 1))
        if need != self.minimumHeight():
            self.setMinimumHeight(need)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.schedule_refit()
        return False

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.schedule_refit()


class ExpectationsBox(QGroupBox):
    """What the token should say when no profile says it: audience, issuer, scopes, leeway, a JWKS URL."""

    changed = Signal()  # a field was edited (on Enter or leaving the field)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("What the token should say (when no profile sets it)", parent)
        self.setObjectName("expectationsBox")
        form = QFormLayout(self)
        self.audience = QLineEdit(self)
        self.audience.setPlaceholderText("https://api.example.com")
        self.issuer = QLineEdit(self)
        self.issuer.setPlaceholderText("https://login.example.com/")
        self.scopes = QLineEdit(self)
        self.scopes.setPlaceholderText("invoices:read invoices:write")
        self.leeway = QSpinBox(self)
        self.leeway.setRange(0, 3600)
        self.leeway.setValue(60)
        self.leeway.setSuffix(" s")
        guard_wheel(self.leeway)  # scrolling the panel over it must not change it (and re-explain)
        self.jwks = QLineEdit(self)
        self.jwks.setPlaceholderText("https://login.example.com/.well-known/jwks.json (checks the signature)")
        for label, field in (("Audience", self.audience), ("Issuer", self.issuer), ("Scopes", self.scopes),
                             ("Leeway", self.leeway), ("JWKS URL", self.jwks)):
            form.addRow(label, field)
        for edit in (self.audience, self.issuer, self.scopes, self.jwks):
            edit.editingFinished.connect(self._maybe_changed)
        self.leeway.editingFinished.connect(self._maybe_changed)
        self._last = self.expectations()

    def expectations(self) -> Expectations:
        return Expectations(
            audience=self.audience.text().strip() or None,
            issuer=self.issuer.text().strip() or None,
            scopes=tuple(self.scopes.text().split()),
            leeway_s=float(self.leeway.value()),
            jwks_url=self.jwks.text().strip() or None,
        )

    def _maybe_changed(self) -> None:
        now = self.expectations()
        if now != self._last:
            self._last = now
            self.changed.emit()


RetryRun = Callable[[str, Event], "RetryOutcome"]  # (FIX, cancel) -> the outcome; runs on a worker thread


def _outcome_cells(result: SendResult) -> tuple[str, str, str]:
    """Status, verdict and key finding of one send, in words for the side-by-side comparison."""
    from inspector.core.diagnosis.findings import verdict_title

    ex, d = result.exchange, result.diagnosis
    response = ex.response
    if ex.error is not None:
        status = f"no response ({ex.error.kind})"
    else:
        status = f"{response.status} {response.reason}".strip() if response is not None else "no response"
    verdict = verdict_title(d.verdict, credential_sent=d.credential is not None) if d else "not explained"
    lead = d.findings[0] if d is not None and d.findings and d.verdict != "ok" else None
    return status, verdict, (f"{lead.title} ({lead.id})" if lead is not None else "none")


class RetryBox(QFrame):
    """Try the fix: the progress of a retry (with Cancel), then the first and the second outcome side by side,
    and the conclusion coloured by whether the fix confirmed the cause."""

    cancel_requested = Signal()
    response_requested = Signal(object)  # SendResult: show this exchange in the response view

    def __init__(self, view: ViewState, known: Callable[[], tuple[Iterable[str], Iterable[str]]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtGui import QPalette

        self.setObjectName("retryBox")
        self._view = view
        self.first: SendResult | None = None
        self.outcome: RetryOutcome | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(6)
        self.heading = _heading("Try the fix")
        lay.addWidget(self.heading)
        progress = QHBoxLayout()
        self.progress_label = _label()
        self.progress_label.setObjectName("retryProgress")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("retryCancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        progress.addWidget(self.progress_label, 1)
        progress.addWidget(self.cancel_button)
        lay.addLayout(progress)
        self.compare = QWidget()
        self.compare.setObjectName("retryCompare")
        grid = QGridLayout(self.compare)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        self.before_heading = _label("<b>Before</b>", rich=True)
        self.after_heading = _label("<b>After</b>", rich=True)
        grid.addWidget(self.before_heading, 0, 1)
        grid.addWidget(self.after_heading, 0, 2)
        self.cells: dict[tuple[str, str], QLabel] = {}
        for row, (key, caption) in enumerate((("status", "Status"), ("verdict", "Verdict"),
                                              ("finding", "Key finding")), start=1):
            cap = _label(caption, wrap=False)
            cap.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            grid.addWidget(cap, row, 0, Qt.AlignmentFlag.AlignTop)
            for column, side in ((1, "before"), (2, "after")):
                cell = _label()
                cell.setObjectName(f"retry_{side}_{key}")
                self.cells[(side, key)] = cell
                grid.addWidget(cell, row, column, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        lay.addWidget(self.compare)
        self.verdict_badge = QLabel()
        self.verdict_badge.setObjectName("retryVerdict")
        self.conclusion = _masked_label(view, "retryConclusion", known)
        conclusion_row = QHBoxLayout()
        conclusion_row.addWidget(self.verdict_badge, 0, Qt.AlignmentFlag.AlignTop)
        conclusion_row.addWidget(self.conclusion, 1)
        lay.addLayout(conclusion_row)
        buttons = QHBoxLayout()
        self.show_after = QPushButton("Open the retry's response")
        self.show_after.setObjectName("retryShowAfter")
        self.show_after.clicked.connect(lambda: self._request(after=True))
        self.show_before = QPushButton("Back to the first response")
        self.show_before.setObjectName("retryShowBefore")
        self.show_before.clicked.connect(lambda: self._request(after=False))
        buttons.addWidget(self.show_after)
        buttons.addWidget(self.show_before)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self.reset()

    def reset(self) -> None:
        self.first, self.outcome = None, None
        self.setVisible(False)

    def _show_parts(self, *, running: bool, done: bool) -> None:
        self.setVisible(True)
        self.progress_label.setVisible(running or not done)
        self.cancel_button.setVisible(running)
        for widget in (self.compare, self.verdict_badge, self.conclusion, self.show_after, self.show_before):
            widget.setVisible(done)

    def running(self, label: str) -> None:
        """A retry is on its way: 'Trying with a fresh token…' and Cancel."""
        self.outcome = None
        self.progress_label.setText(f"{label.replace('Try with', 'Trying with', 1)}… the same request is being "
                                    "sent again.")
        self._show_parts(running=True, done=False)

    def stopped(self, message: str) -> None:
        """The retry ended without an outcome (cancelled, or the fix could not be applied)."""
        self.progress_label.setText(message)
        self._show_parts(running=False, done=False)

    def show_outcome(self, first: SendResult, outcome: RetryOutcome, theme: Theme) -> None:
        from inspector.core.retry import parse_fix

        self.first, self.outcome = first, outcome
        self.after_heading.setText(f"<b>After, with {escape(parse_fix(outcome.fix).phrase)}</b>")
        for side, result in (("before", first), ("after", outcome.result)):
            for key, text in zip(("status", "verdict", "finding"), _outcome_cells(result), strict=True):
                self.cells[(side, key)].setText(text)
        for side, result in (("before", first), ("after", outcome.result)):
            response = result.exchange.response
            color = theme.status_color(response.status if response is not None else None).name()
            self.cells[(side, "status")].setStyleSheet(f"color: {color}; font-weight: 600;")
        color = verdict_color(theme, "ok") if outcome.confirmed else theme.severity.get("error", "#c62828")
        self.verdict_badge.setText(" Confirmed " if outcome.confirmed else " Not confirmed ")
        self.verdict_badge.setProperty("confirmed", outcome.confirmed)
        self.verdict_badge.setProperty("frame", color)
        self.verdict_badge.setStyleSheet(f"background-color: {color}; color: {theme.badge_text}; "
                                         "border-radius: 4px; padding: 2px 6px; font-weight: 600;")
        self.conclusion.setText(outcome.conclusion)
        self._show_parts(running=False, done=True)
        self.update()

    def _request(self, *, after: bool) -> None:
        if self.outcome is not None and self.first is not None:
            self.response_requested.emit(self.outcome.result if after else self.first)

    def minimumSizeHint(self) -> QSize:
        return _fitted_minimum(self) or super().minimumSizeHint()

    def paintEvent(self, event) -> None:
        # a frame in the outcome's colour (painted: a style sheet would reset the labels' palette)
        from PySide6.QtGui import QColor, QPainter, QPalette, QPen

        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = QColor(self.palette().color(QPalette.ColorRole.WindowText))
        color.setAlpha(70)
        if self.outcome is not None:
            color = QColor(self.verdict_badge.property("frame") or color)
        p.setPen(QPen(color, 2 if self.outcome is not None else 1))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 5, 5)
        p.end()


class ExplainerPanel(QWidget):
    """Why the server answered the way it did, in words; and a paste box to decode any token offline."""

    # Expectations typed into the panel (used when no profile sets them)
    expectations_changed = Signal(object)
    retry_status = Signal(str)  # a status line about a "Try the fix" retry (the tab shows it)
    response_requested = Signal(object)  # SendResult: show this exchange in the response view

    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], datetime] | None = None,
                 view: ViewState | None = None) -> None:
        super().__init__(parent)
        self._clock = clock or _utc_now
        self.view_state = view or ViewState(self)
        self._exchange: Exchange | None = None
        self._given_secrets = NO_SECRETS  # set by set_result
        self._drawing = 0  # bumped by each drawing of a result: one drawn in steps stops when it is not the last
        self._then: Callable[[], None] | None = None  # what follows the drawing in steps still under way
        self._diagnosis: Diagnosis | None = None
        self._story: Story | None = None
        self.setAcceptDrops(True)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # the explanation, and the offline token decoder in a tab of its own (not under a long explanation)
        self.sections = QTabWidget()
        self.sections.setObjectName("explainerSections")
        self.sections.setDocumentMode(True)
        self.sections.addTab(self.scroll_area, "Explanation")
        outer.addWidget(self.sections)
        content = _Content()
        content.setObjectName("explainerContent")
        self.scroll_area.setWidget(content)
        lay = QVBoxLayout(content)
        lay.setContentsMargins(10, 10, 10, 10)
        lay.setSpacing(10)

        self.placeholder = _label("Send a request: the explanation of the answer appears here.")
        self.placeholder.setObjectName("explainerPlaceholder")
        lay.addWidget(self.placeholder)

        # what shows a result (result_box and all in it) is made by _build_result when first needed
        self._fixes: dict[str, str] = {}  # finding id -> FIX offered for it
        self._retry_run: RetryRun | None = None
        self._result: SendResult | None = None
        self.retry_jobs = JobRunner(self, name="Retry")  # the retry, in the "retry" slot

        self.expectations_box = ExpectationsBox()
        self.expectations_box.changed.connect(
            lambda: self.expectations_changed.emit(self.expectations_box.expectations()))
        lay.addWidget(self.expectations_box)
        # the decoder's tab: its paste box is made when the tab is first shown (or a token is pasted)
        self.decoder_area = QScrollArea()
        self.decoder_area.setWidgetResizable(True)
        self.decoder_area.setFrameShape(QFrame.Shape.NoFrame)
        self.decoder_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        decoder = QWidget()
        self._decoder_layout = QVBoxLayout(decoder)
        self._decoder_layout.addStretch(1)
        self.decoder_area.setWidget(decoder)
        self.sections.addTab(self.decoder_area, "Decode a token")
        self.sections.currentChanged.connect(self._on_section_changed)
        lay.addStretch(1)
        self._content = content
        content.watch_sections()
        self.clear()
        self.view_state.safe_changed.connect(self._rerender)
        self.view_state.theme_changed.connect(self._rerender)

    # -- parts made on first use -----------------------------------------------------------------------------
    result_box: BuiltOnUse[QWidget] = BuiltOnUse("_build_result")
    banner: BuiltOnUse[QFrame] = BuiltOnUse("_build_result")
    verdict_title: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    summary: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    request_line: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    retry_box: BuiltOnUse[RetryBox] = BuiltOnUse("_build_result")
    findings_heading: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    findings: BuiltOnUse[FindingsView] = BuiltOnUse("_build_result")
    transport_box: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    server_heading: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    server_box: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    missing_heading: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    missing_box: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    credential_heading: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    credential_where: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    credential_value: BuiltOnUse[_SecretView] = BuiltOnUse("_build_result")
    token_heading: BuiltOnUse[QLabel] = BuiltOnUse("_build_result")
    token_view: BuiltOnUse[TokenView] = BuiltOnUse("_build_result")
    paste_box: BuiltOnUse[PasteBox] = BuiltOnUse("_build_paste_box")

    def _build_result(self) -> None:
        """The verdict, the findings, what the server said, the credential and the token: hidden until a
        result is shown."""
        lay = self._content.layout()
        assert isinstance(lay, QVBoxLayout)  # made in __init__
        known = self._known
        self.result_box = QWidget()
        rl = QVBoxLayout(self.result_box)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.setSpacing(10)
        lay.insertWidget(lay.indexOf(self.placeholder) + 1, self.result_box)

        self.banner = QFrame()
        self.banner.setObjectName("verdictBanner")
        bl = QVBoxLayout(self.banner)
        bl.setContentsMargins(12, 10, 12, 10)
        self.verdict_title = _label(wrap=True)
        self.verdict_title.setObjectName("verdictTitle")
        # The summary and the request line quote the server and the URL: masked with this exchange's secrets
        # (strictly in screen-share-safe mode), line-break hints added after masking.
        self.summary = _masked_label(self.view_state, "verdictSummary", known)
        f = self.summary.font()
        f.setPointSizeF(f.pointSizeF() * 1.15)
        f.setBold(True)
        self.summary.setFont(f)
        bl.addWidget(self.verdict_title)
        bl.addWidget(self.summary)
        rl.addWidget(self.banner)

        self.request_line = _masked_label(self.view_state, "requestLine", known)
        rl.addWidget(self.request_line)
        # Try the fix: under the verdict, so the answer to "did the fix work?" is read first
        self.retry_box = RetryBox(self.view_state, self._retry_known)
        self.retry_box.cancel_requested.connect(self.cancel_retry)
        self.retry_box.response_requested.connect(self.response_requested)
        rl.addWidget(self.retry_box)

        self.findings_heading = _heading("What we found")
        rl.addWidget(self.findings_heading)
        self.findings = FindingsView(view=self.view_state)
        rl.addWidget(self.findings)
        # A send that got no answer: the likely causes and what to try, in place of findings.
        self.transport_box = _masked_label(self.view_state, "transportStory", known)
        rl.addWidget(self.transport_box)

        self.server_heading = _heading("What the server said")
        rl.addWidget(self.server_heading)
        self.server_box = _label(rich=True)
        self.server_box.setObjectName("serverSaid")
        rl.addWidget(self.server_box)

        self.missing_heading = _heading("What could not be checked")
        rl.addWidget(self.missing_heading)
        self.missing_box = _label(rich=True)
        self.missing_box.setObjectName("missingEvidence")
        rl.addWidget(self.missing_box)

        self.credential_heading = _heading("Credential sent")
        rl.addWidget(self.credential_heading)
        self.credential_where = _label()
        self.credential_where.setObjectName("credentialWhere")
        rl.addWidget(self.credential_where)
        self.credential_value = _SecretView(self.view_state)
        self.credential_value.setObjectName("credentialValue")
        rl.addWidget(self.credential_value)

        self.token_heading = _heading("The token")
        rl.addWidget(self.token_heading)
        self.token_view = TokenView(clock=self._clock, view=self.view_state)
        rl.addWidget(self.token_view)
        # The timeline is the quickest read of an expiry or a skewed clock: show it right under the verdict.
        timeline_at = rl.indexOf(self.request_line) + 1
        rl.insertWidget(timeline_at, self.token_view.timeline_caption)
        rl.insertWidget(timeline_at + 1, self.token_view.timeline)
        rl.insertWidget(rl.indexOf(self.request_line), self.retry_box)  # right under the verdict

        self.result_box.setVisible(False)
        self._content.watch_sections()

    def _build_paste_box(self) -> None:
        self.paste_box = PasteBox(clock=self._clock, view=self.view_state)
        self._decoder_layout.insertWidget(0, self.paste_box)
        self.paste_box.show()  # now, not on the next event loop turn: a grab right away shows it

    def _on_section_changed(self, _index: int) -> None:
        if self.sections.currentWidget() is self.decoder_area:
            _ = self.paste_box  # made when first shown

    # -- the contract ----------------------------------------------------------------------------------------
    def show_result(self, result: SendResult, *, then: Callable[[], None] | None = None) -> None:
        """Show one send's result: its exchange and explanation, scrubbed of every secret it knows. then: drawn
        in two turns of the event loop, then() after the second (see set_result)."""
        self.set_result(result.exchange, result.diagnosis, secrets=result.shown_secrets(), then=then)
        self._result = result

    # -- try the fix -----------------------------------------------------------------------------------------
    def offer_fixes(self, fixes: Mapping[str, str], run: RetryRun) -> None:
        """Put a "Try the fix" button on each finding with a fix (finding id -> FIX, from core.retry), which
        runs run(FIX, cancel) off the UI thread and shows both outcomes."""
        self._fixes = dict(fixes)
        self._retry_run = run
        self._add_fix_buttons()

    def fix_buttons(self) -> dict[str, QPushButton]:
        """The "Try the fix" buttons shown, by finding id."""
        if not is_built(self, "findings"):
            return {}
        return {c.finding.id: c.fix_button for c in self.findings.cards if c.fix_button is not None}

    def is_retrying(self) -> bool:
        return self.retry_jobs.current("retry") is not None

    def try_fix(self, fix: str) -> None:
        """Send the shown request again with the fix, on a worker; the outcome replaces any earlier one."""
        run, first = self._retry_run, self._result
        if run is None or first is None:
            return
        from inspector.core.retry import fix_label

        label = fix_label(fix)
        self.retry_jobs.start("retry", lambda job: run(fix, job.cancel),
                              on_done=lambda outcome: self._retry_done(first, outcome),
                              on_failed=self._retry_failed, name="retry")
        for button in self.fix_buttons().values():
            button.setEnabled(False)
        self.retry_box.running(label)
        self.retry_status.emit(f"{label}: sending the same request again…")

    def cancel_retry(self) -> None:
        if not self.is_retrying():
            return
        self.retry_jobs.cancel("retry")  # a late outcome is dropped
        self._retry_ended()
        self.retry_box.stopped("The retry was cancelled: nothing was compared.")
        self.retry_status.emit("Try the fix: cancelled.")

    def retry_outcome(self) -> RetryOutcome | None:
        return self.retry_box.outcome if is_built(self, "retry_box") else None

    def _retry_known(self) -> tuple[list[str], tuple[str, ...]]:
        secrets, names = self._known()
        outcome = self.retry_outcome()
        if outcome is not None:
            shown = outcome.result.shown_secrets()
            return [*secrets, *shown.values], (*names, *shown.names)
        return secrets, names

    def _retry_ended(self) -> None:
        for button in self.fix_buttons().values():
            button.setEnabled(True)

    def _retry_done(self, first: SendResult, outcome: RetryOutcome) -> None:
        self._retry_ended()
        if first.exchange is not self._exchange:
            return  # another answer is shown now
        self.retry_box.show_outcome(first, outcome, self.view_state.theme)
        self.retry_status.emit(("Confirmed: " if outcome.confirmed else "Not confirmed: ")
                               + self.view_state.mask(outcome.conclusion, secrets=self._retry_known()[0]))

    def _retry_failed(self, error: BaseException) -> None:
        self._retry_ended()
        from inspector.core.errors import InspectorError

        message = str(error) if isinstance(error, InspectorError) else \
            f"The retry failed unexpectedly ({type(error).__name__}: {error})."
        self.retry_box.stopped(message)
        self.retry_status.emit(f"Try the fix: {message}")

    def _add_fix_buttons(self) -> None:
        if self._retry_run is None or not is_built(self, "findings"):
            return
        from inspector.core.retry import fix_label

        for card in self.findings.cards:
            fix = self._fixes.get(card.finding.id)
            if fix is None:
                continue
            button = card.add_fix_button(fix_label(fix))
            button.setEnabled(not self.is_retrying())
            button.clicked.connect(lambda _checked=False, f=fix: self.try_fix(f))

    def set_result(self, exchange: Exchange, diagnosis: Diagnosis | None, *,
                   secrets: Secrets = NO_SECRETS, then: Callable[[], None] | None = None) -> None:
        """Show one finished exchange and its explanation (None when it could not be explained).

        secrets: values (the profile's secrets, the credentials sent) scrubbed from evidence and messages,
        and the profile's API-key header/query names.
        then: draw it in two turns of the event loop, the verdict and the findings, then the rest (the UI
        thread is not held for both at a stretch), and call then() once it is all drawn. Another answer, a
        clear() or a step that fails before the end drops it; a redraw (the theme, screen-share mode, the same
        exchange explained again) finishes the drawing at once and runs it then.
        Without it, everything is drawn before this returns."""
        same = exchange is self._exchange
        if not same:  # another answer: its fixes come with it (offer_fixes)
            self._forget_retry()
        self._exchange = exchange
        self._diagnosis = diagnosis
        self._given_secrets = secrets
        self._result = None
        if not same:
            self._then = None  # what was to follow the drawing of another answer
        self._render(then)  # (a new then replaces a pending one)

    def prepare(self) -> None:
        """Make, before an answer comes, what showing the first one makes: the result parts (hidden, but
        styled), the severity icons and the bold face of the cards' titles (each loaded the first time)."""
        from PySide6.QtGui import QFontMetrics
        from PySide6.QtWidgets import QStyle

        self.result_box.ensurePolished()  # styled now, not when it is first shown
        for pix in (QStyle.StandardPixmap.SP_MessageBoxCritical, QStyle.StandardPixmap.SP_MessageBoxWarning,
                    QStyle.StandardPixmap.SP_MessageBoxInformation):
            _standard_pixmap(self.style(), pix)
        bold = self.font()
        bold.setBold(True)
        QFontMetrics(bold).horizontalAdvance("Token")

    def shutdown(self) -> None:
        """Cancel the panel's jobs (the signature check, a retry), not waiting for their threads; a drawing in
        steps stops."""
        self._drop_drawing()
        if is_built(self, "paste_box"):
            self.paste_box.shutdown()
        self.retry_jobs.close()

    def _forget_retry(self) -> None:
        self.retry_jobs.cancel("retry")
        self._fixes, self._retry_run = {}, None
        if is_built(self, "retry_box"):
            self.retry_box.reset()

    def clear(self) -> None:
        self._drop_drawing()
        self._forget_retry()
        self._exchange = None
        self._diagnosis = None
        self.placeholder.setVisible(True)
        if is_built(self, "result_box"):
            self.result_box.setVisible(False)
            self.token_view.timeline.set_timeline(None)

    def set_screen_share_safe(self, on: bool) -> None:
        """Mask raw tokens and credential values everywhere in the pane; decoded claims stay visible.
        (Sets the mode on the panel's ViewState: the window's, when the window made the panel.)"""
        self.view_state.set_safe(on)

    def screen_share_safe(self) -> bool:
        return self.view_state.safe

    def _rerender(self, *_: object) -> None:
        if self._exchange is not None:
            self._render()

    def paste_token(self, text: str) -> None:
        """Decode a token in the paste box, as a paste or a drop does (its tab comes to the front)."""
        self.sections.setCurrentWidget(self.decoder_area)
        self.paste_box.set_token_text(text)

    def verdict(self) -> str | None:
        return self._diagnosis.verdict if self._diagnosis else None

    # -- drops -----------------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if event.mimeData().hasText():
            self.paste_token(event.mimeData().text())
            event.acceptProposedAction()

    # -- rendering -------------------------------------------------------------------------------------------
    def _secrets(self) -> list[str]:
        d = self._diagnosis
        out: list[str] = list(self._given_secrets.values)
        if d is not None and d.token is not None:
            out.append(d.token.raw)
        if d is not None and d.credential is not None:
            out.append(d.credential.value)
        return out

    def _known(self) -> tuple[list[str], tuple[str, ...]]:
        return self._secrets(), self._given_secrets.names

    def _scrubber(self) -> Callable[[str, str], str]:
        """Evidence and messages pass through the view's mask (strict in screen-share-safe mode), with this
        exchange's secrets; in safe mode a value whose key names a secret is masked whole."""
        secrets, names, view = self._secrets(), self._given_secrets.names, self.view_state

        def scrub(key: str, text: str) -> str:
            # the token and credential are never needed in evidence: they have their own masked rows
            text = view.mask(text, secrets=secrets, names=names)
            if view.safe and (is_secret_header(key) or key.lower() in _SECRET_EVIDENCE_KEYS):
                return mask(text)
            return text

        return scrub

    def _drop_drawing(self) -> None:
        """A drawing in steps still under way stops at its next step, and what was to follow it is dropped."""
        self._drawing += 1
        self._then = None

    def _render(self, then: Callable[[], None] | None = None) -> None:
        self._drawing += 1  # a drawing in steps still under way stops at its next step
        steps = self._drawn_in_steps()
        if then is None:
            try:
                for _ in steps:
                    pass
            except BaseException:
                self._drop_drawing()
                raise
            pending, self._then = self._then, None  # a redraw in the middle of one in steps: it is done now
            if pending is not None:
                pending()
            return
        self._then = then
        self._next_step(steps, self._drawing)

    def _next_step(self, steps: Iterator[None], drawing: int) -> None:
        if drawing != self._drawing:
            return
        try:
            left = next(steps, _DRAWN) is not _DRAWN
        except BaseException:  # not finished: nothing is to follow it (a later redraw must not run it)
            self._drop_drawing()
            raise
        if left:
            QTimer.singleShot(0, self, lambda: self._next_step(steps, drawing))
            return
        then, self._then = self._then, None
        if then is not None:
            then()

    def _drawn_in_steps(self) -> Iterator[None]:
        """Draw the result: the verdict and the findings, a pause (a yield), then the rest."""
        ex, d = self._exchange, self._diagnosis
        if ex is None:
            self.clear()
            return
        scrub = self._scrubber()
        verdict = d.verdict if d else ("transport-error" if ex.error else None)
        hop = ex.final_hop
        from inspector.core.diagnosis.story import tell

        story = tell(d, ex.error, url=hop.url if hop is not None else ex.spec.url)
        self._story = story
        self._set_banner(verdict, story)
        self.request_line.setText(self._request_text(ex))

        transport = story.transport
        self.findings_heading.setText("What happened" if transport is not None else "What we found")
        has_findings = d is not None and (transport is None or bool(story.findings))
        self.findings_heading.setVisible(has_findings or transport is not None)
        self.findings.setVisible(has_findings)
        self.findings.set_findings(story.findings, scrub, quiet=story.quiet, ordered=True)
        self._add_fix_buttons()
        yield
        self.transport_box.setVisible(transport is not None)
        self.transport_box.setText(self._transport_text(transport) if transport is not None else "")

        server = self._server_html(d, story, scrub) if d else ""
        self.server_heading.setVisible(bool(server))
        self.server_box.setVisible(bool(server))
        self.server_box.setText(server)

        missing = list(d.missing_evidence) if d else []
        self.missing_heading.setVisible(bool(missing))
        self.missing_box.setVisible(bool(missing))
        self.missing_box.setText("<br>".join(f"• {escape(scrub('missing', m))}" for m in missing))

        cred = d.credential if d else None
        self.credential_heading.setVisible(cred is not None)
        self.credential_where.setVisible(cred is not None)
        self.credential_value.setVisible(cred is not None)
        if cred is not None:
            self.credential_where.setText(self._credential_text(cred))
            self.credential_value.set_value(cred.value, f"{cred.scheme} " if cred.scheme else "")

        token = d.token if d else None
        self.token_heading.setVisible(token is not None)
        self.token_view.setVisible(token is not None)
        if token is not None and d is not None:
            self.token_view.set_token(token, d.timeline)
        else:
            self.token_view.timeline.set_timeline(None)
            # no token, no times: the timeline sits under the banner, outside the token's section
            self.token_view.timeline_caption.setVisible(False)
            self.token_view.timeline.setVisible(False)
        self.placeholder.setVisible(False)
        self.result_box.setVisible(True)
        self._content.schedule_refit()

    def _set_banner(self, verdict: str | None, story: Story) -> None:
        theme = self.view_state.theme
        color = verdict_color(theme, verdict)
        self.banner.setProperty("verdict", verdict or "")
        self.banner.setStyleSheet(
            f"QFrame#verdictBanner {{ background-color: {color}; border-radius: 6px; }}"
            f" QFrame#verdictBanner QLabel {{ color: {theme.badge_text}; background: transparent; }}"
        )
        self.verdict_title.setText(story.title)
        # the summary quotes the server (a token endpoint may echo the client secret): self.summary masks it
        self.summary.setText(story.summary)
        self.banner.setAccessibleName(f"Verdict: {verdict or 'none'}")

    def verdict_color(self) -> QColor:
        from PySide6.QtGui import QColor

        return QColor(verdict_color(self.view_state.theme, self.verdict()))

    def _request_text(self, ex: Exchange) -> str:
        hop = ex.final_hop
        method = hop.method if hop else ex.spec.method
        url = mask_url(hop.url if hop else ex.spec.url, self._given_secrets.names)
        if ex.error is not None:
            outcome = f"no response ({ex.error.kind})"
        elif ex.response is not None:
            outcome = f"{ex.response.status} {ex.response.reason}".strip()
        else:
            outcome = "no response"
        parts = [f"{method} {url} → {outcome}"]
        req_hops = ex.request_hops
        if len(req_hops) > 1:
            chain = " → ".join(str(h.status or "—") for h in req_hops)
            parts.append(f"{len(req_hops)} hops ({chain})")
        if ex.elapsed_s:
            parts.append(f"{ex.elapsed_s * 1000:.0f} ms")
        return " · ".join(parts)

    @staticmethod
    def _credential_text(cred: SentCredential) -> str:
        where = {
            "authorization": "in the Authorization header",
            "header": f"in the {cred.name} header",
            "query": f"in the query parameter '{cred.name}'",
            "cookie": f"in the cookie '{cred.name}'",
        }.get(cred.where, f"in {cred.where} '{cred.name}'")
        scheme = f" with the {cred.scheme} scheme" if cred.scheme else ""
        return f"Sent {where}{scheme}."

    @staticmethod
    def _transport_text(story: TransportStory) -> str:
        """The likely causes and what to try (the banner already says what failed)."""
        lines = ["Likely causes:", *(f"  • {c}" for c in story.causes), "What to try:",
                 *(f"  • {t}" for t in story.tries)]
        return "\n".join(lines)

    @staticmethod
    def _challenge_html(header: str, ch: Challenge, scrub: Callable[[str, str], str], story: Story) -> str:
        bits = [f"<b>{escape(ch.scheme)}</b>"]
        if ch.token68:
            bits.append(escape(breakable(scrub("token68", ch.token68))))
        # the description is the server's message: once is enough when the story already tells it
        params = ", ".join(
            f"{escape(k)}=<code>{escape(breakable(scrub(k, str(v))))}</code>"
            for k, v in ch.params.items()
            if not (k.lower() == "error_description" and story.already_said(str(v)))
        )
        if params:
            bits.append(params)
        return f"{escape(header)}: " + " ".join(bits)

    def _server_html(self, d: Diagnosis, story: Story, scrub: Callable[[str, str], str]) -> str:
        """What the server said that the story has not told yet, and its challenges."""
        lines: list[str] = []
        for label, value in story.server:
            key = "error" if label == "Error code" else "message"
            shown = escape(breakable(scrub(key, value)))
            quoted = f"<code>{shown}</code>" if key == "error" else f"“{shown}”"
            lines.append(f"<b>{escape(label)}:</b> {quoted}")
        for ch in d.challenges:
            lines.append(self._challenge_html("WWW-Authenticate", ch, scrub, story))
        for ch in d.proxy_challenges:
            lines.append(self._challenge_html("Proxy-Authenticate", ch, scrub, story))
        return "<br>".join(lines)

    def story(self) -> Story | None:
        """The story shown (None before an exchange is shown)."""
        return self._story if self._exchange is not None else None
