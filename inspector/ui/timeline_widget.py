"""Paints a core.timeline.Timeline: token times, the request by both clocks, the leeway band and now.

The geometry (where every mark and label goes, and the sentences on top) is computed by the pure function
`compute_geometry`, so it can be tested without painting; `TimelineWidget` only paints what it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetricsF, QHelpEvent, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from inspector.core.timeline import SKEW_NOISE_S, Timeline, describe_relative

TextWidth = Callable[[str], float]

MERGE_S = 1.0  # the server's Date has 1 s resolution: closer events share one position
MARGIN = 10.0  # the axis ends this far from the widget's edges
INSET = 18.0  # events sit this far inside the axis ends
MIN_GAP_PX = 30.0  # distinct events are at least this far apart when the width allows
BREAK_RATIO = 1.5  # a gap drawn at less than 1/1.5 of its true scale gets a break mark
BROKEN_SHARE = 0.4  # at most this share of the width goes to gaps drawn not to scale
FOCUS_RATIO = 4.0  # gaps up to this many times the shortest distance are never compressed
AXIS_CLEAR = 20.0  # vertical room between the axis and the nearest label row
LABEL_GAP = 8.0  # horizontal room between two labels in one row


def _utc_now() -> datetime:
    return datetime.now(UTC)


def describe_span(seconds: float) -> str:
    """A duration in words ('4 min 12 s'), worded by core.timeline like the findings are."""
    return describe_relative(seconds)


def _approx_width(text: str) -> float:
    return 7.0 * len(text)


def elide(text: str, max_width: float, text_width: TextWidth) -> str:
    """The text cut with '…' so that it fits max_width (pure, so geometry stays testable)."""
    if text_width(text) <= max_width:
        return text
    cut = len(text)
    while cut > 1 and text_width(text[:cut] + "…") > max_width:
        cut -= 1
    return text[:cut].rstrip() + "…"


def wrap(text: str, max_width: float, text_width: TextWidth) -> list[str]:
    """Greedy word wrap; a single word wider than the line is elided."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return [elide(line, max_width, text_width) for line in lines] or [""]


@dataclass(frozen=True)
class Headline:
    text: str
    tone: str  # "bad" | "warn" | "good" | "neutral"


@dataclass(frozen=True)
class Label:
    """A label placed in a row above or below the axis."""

    lines: tuple[str, ...]
    x: float  # left edge
    y: float  # top edge
    width: float
    height: float
    row: int
    side: str  # "above" | "below"
    anchor_x: float  # where its leader line meets the axis


@dataclass(frozen=True)
class Marker:
    key: str  # issued_at | not_before | expires_at | auth_time | sent_local | sent_server | now
    when: datetime
    x: float
    side: str  # token times "above" the axis, clock readings "below"
    title: str
    label: Label
    merged: tuple[str, ...] = ()  # keys of other events drawn at the same place


@dataclass(frozen=True)
class Span:
    """A measured distance between two marks: the expiry gap or the clock skew."""

    key: str  # "expiry" | "skew"
    x1: float
    x2: float
    y: float
    text: str
    tone: str
    label: Label


@dataclass(frozen=True)
class TimelineGeometry:
    width: float
    height: float
    axis_y: float
    axis_x1: float
    axis_x2: float
    headlines: tuple[tuple[Headline, tuple[str, ...], float], ...]  # headline, wrapped lines, top y
    markers: tuple[Marker, ...] = ()
    spans: tuple[Span, ...] = ()
    valid_band: tuple[float, float] | None = None  # nbf (or iat) .. exp
    leeway_band: tuple[float, float] | None = None  # exp - leeway .. exp + leeway
    expired_band: tuple[float, float] | None = None  # exp + leeway .. axis end
    breaks: tuple[float, ...] = ()  # x of break marks where the scale is compressed
    legend: tuple[tuple[str, str, float, float], ...] = ()  # (kind, text, x, y)
    line_height: float = 16.0
    empty_text: str | None = None

    def marker(self, key: str) -> Marker | None:
        for m in self.markers:
            if m.key == key or key in m.merged:
                return m
        return None

    def span(self, key: str) -> Span | None:
        return next((s for s in self.spans if s.key == key), None)


@dataclass(frozen=True)
class _Event:
    key: str
    when: datetime
    side: str
    title: str


@dataclass(frozen=True)
class _Item:
    """One thing that needs a label: a group of events (kind "marker") or a band between two x's ("span")."""

    kind: str
    cx: float
    lines: tuple[str, ...]
    side: str
    group: tuple[_Event, ...] = ()  # markers only
    key: str = ""  # spans only, like the four below
    text: str = ""
    tone: str = ""
    xa: float = 0.0
    xb: float = 0.0


@dataclass
class _Scale:
    """Piecewise-linear map from time to x: long gaps are capped so that short ones stay visible."""

    knots_t: list[float] = field(default_factory=list)
    knots_x: list[float] = field(default_factory=list)
    breaks: list[float] = field(default_factory=list)

    def x(self, t: float) -> float:
        kt, kx = self.knots_t, self.knots_x
        if len(kt) == 1:
            return kx[0]
        if t <= kt[0]:
            return kx[0] - (kt[0] - t) * self._slope(0)
        for i in range(1, len(kt)):
            if t <= kt[i]:
                span = kt[i] - kt[i - 1]
                frac = (t - kt[i - 1]) / span if span else 1.0
                return kx[i - 1] + frac * (kx[i] - kx[i - 1])
        return kx[-1] + (t - kt[-1]) * self._slope(len(kt) - 2)

    def _slope(self, i: int) -> float:
        dt = self.knots_t[i + 1] - self.knots_t[i]
        return (self.knots_x[i + 1] - self.knots_x[i]) / dt if dt else 0.0


def _build_scale(times: Sequence[tuple[float, bool]], x1: float, x2: float) -> _Scale:
    """Knots at each distinct time; gaps longer than a cap drawn at the cap's width, with a break mark.

    times are (t, firm) pairs: a gap next to a loose knot (e.g. a ticking 'now' seconds after the request) is
    allowed to be narrow, so that it does not squeeze the rest of the scale.
    """
    distinct: list[float] = []
    firm: list[bool] = []
    for t, is_firm in sorted(times):
        if not distinct or t - distinct[-1] >= MERGE_S:
            distinct.append(t)
            firm.append(is_firm)
        else:
            firm[-1] = firm[-1] or is_firm
    if len(distinct) == 1:
        return _Scale([distinct[0]], [(x1 + x2) / 2])
    gaps = [b - a for a, b in pairwise(distinct)]
    firm_idx = [i for i, f in enumerate(firm) if f]
    if len(firm_idx) < 2:
        firm_idx = list(range(len(distinct)))
    firm_runs = list(pairwise(firm_idx))  # gaps[a:b] lie between two firm knots
    width = max(x2 - x1, 1.0)
    min_px = min(MIN_GAP_PX, width / len(firm_runs))

    def effective(cap: float) -> float:
        return sum(min(g, cap) for g in gaps)

    def fits(cap: float) -> bool:
        shortest = min(sum(min(g, cap) for g in gaps[a:b]) for a, b in firm_runs)
        return shortest * width / effective(cap) >= min_px

    smallest = min(gaps)
    cap = max(gaps)
    if not fits(cap):
        lo, hi = smallest, max(gaps)
        for _ in range(60):  # bisection: bounded, and 60 halvings is far below a pixel
            mid = (lo + hi) / 2
            if fits(mid):
                lo = mid
            else:
                hi = mid
        cap = lo

        def broken_share(c: float) -> float:
            return sum(c for g in gaps if g > c * BREAK_RATIO) / effective(c)

        # once the scale is broken anyway, keep the broken gaps from taking most of the width: the focus is
        # the short distances around the request (skew, expiry), which a lower cap widens
        # gaps within a few times the shortest firm distance stay to scale (a 7 min skew next to 3 min left)
        shortest = min(sum(gaps[a:b]) for a, b in firm_runs)
        floor = max([g for g in gaps if g <= FOCUS_RATIO * shortest] or [shortest])
        if broken_share(cap) > BROKEN_SHARE and floor < cap:
            lo, hi = floor, cap
            for _ in range(60):
                mid = (lo + hi) / 2
                if broken_share(mid) <= BROKEN_SHARE:
                    lo = mid
                else:
                    hi = mid
            cap = lo
    eff = [min(g, cap) for g in gaps]
    total = sum(eff)
    xs = [x1]
    breaks: list[float] = []
    for g, e in zip(gaps, eff, strict=False):
        nx = xs[-1] + e / total * width
        if g > e * BREAK_RATIO:
            breaks.append((xs[-1] + nx) / 2)
        xs.append(nx)
    return _Scale(distinct, xs, breaks)


def _ts(d: datetime) -> float:
    return d.timestamp()


def request_moment(timeline: Timeline) -> tuple[datetime | None, str]:
    """The request's moment on the token's (server's) clock, and whose clock it was read from."""
    if timeline.sent_at is None:
        return None, "none"  # a token on its own: judged against now
    if timeline.reference_time is not None:
        return timeline.reference_time, "server" if timeline.by_server_clock else "local"
    if timeline.server_date is not None:
        return timeline.server_date, "server"
    return timeline.sent_at, "local"


def skew_of(timeline: Timeline) -> float | None:
    """Server minus local, in seconds (positive: your clock is behind); None without a usable Date header."""
    if timeline.server_date is None:
        return None
    if timeline.clock_skew_s is not None:
        return timeline.clock_skew_s
    if timeline.sent_at is not None:
        return (timeline.server_date - timeline.sent_at).total_seconds()
    return None


def describe_timeline(timeline: Timeline, now: datetime | None = None) -> list[Headline]:
    """The sentences shown above the axis: expiry vs the request (or now), validity start, clock skew, age."""
    now = now or timeline.now
    out: list[Headline] = []
    req, clock = request_moment(timeline)
    by = "by the server's clock" if clock == "server" else "by your clock"
    leeway = timeline.leeway_s
    if timeline.expires_at is not None:
        if req is not None:
            rem = (
                timeline.remaining_s
                if timeline.remaining_s is not None
                else (timeline.expires_at - req).total_seconds()
            )
            if rem <= 0:
                text = f"Expired {describe_span(rem)} before the request ({by})"
                if -rem <= leeway:
                    out.append(Headline(f"{text}, inside the {describe_span(leeway)} leeway.", "warn"))
                else:
                    out.append(Headline(text + ".", "bad"))
            elif rem <= max(60.0, leeway):
                out.append(
                    Headline(f"Only {describe_span(rem)} left when the request was sent ({by}).", "warn")
                )
            else:
                out.append(Headline(f"{describe_span(rem)} left when the request was sent ({by}).", "good"))
        else:
            rem = (timeline.expires_at - now).total_seconds()
            if rem <= 0:
                out.append(Headline(f"Expired {describe_span(rem)} ago (by your clock).", "bad"))
            else:
                out.append(Headline(f"Expires in {describe_span(rem)} (by your clock).", "good"))
    ref = req or now
    ref_words = "the request" if req is not None else "now"
    if timeline.not_before is not None and timeline.not_before > ref:
        ahead = (timeline.not_before - ref).total_seconds()
        out.append(Headline(f"Not valid until {describe_span(ahead)} after {ref_words}.", "bad"))
    elif timeline.issued_at is not None and (timeline.issued_at - ref).total_seconds() > leeway:
        ahead = (timeline.issued_at - ref).total_seconds()
        out.append(Headline(f"Issued {describe_span(ahead)} after {ref_words}: a clock is wrong.", "bad"))
    skew = skew_of(timeline)
    if skew is not None:
        if abs(skew) < SKEW_NOISE_S:
            out.append(Headline("Your clock agrees with the server's.", "good"))
        else:
            way = "behind" if skew > 0 else "ahead of"
            tone = "bad" if abs(skew) > 300 else "warn" if abs(skew) > 60 else "neutral"
            out.append(Headline(f"Your clock is {describe_span(skew)} {way} the server.", tone))
    elif timeline.sent_at is not None:
        why = timeline.date_note or "no Date header from the server"
        out.append(Headline(f"{why[:1].upper()}{why[1:]}: times judged by your clock.", "neutral"))
    if timeline.issued_at is not None and timeline.expires_at is not None:
        life = (timeline.expires_at - timeline.issued_at).total_seconds()
        age = (ref - timeline.issued_at).total_seconds()
        when = "at the request" if req is not None else "now"
        age_words = f"{describe_span(age)} old {when}" if age >= 0 else f"issued in the future {when}"
        out.append(Headline(f"Lifetime {describe_span(life)}; {age_words}.", "neutral"))
    rank = {"bad": 0, "warn": 1}
    return sorted(out, key=lambda h: rank.get(h.tone, 2))  # the worst news first, in bold


def _time_text(when: datetime, days: set) -> str:
    u = when.astimezone(UTC)
    if len(days) == 1:
        return u.strftime("%H:%M:%S UTC")
    if len({d.year for d in days}) == 1:
        return u.strftime("%d %b %H:%M UTC")
    return u.strftime("%Y-%m-%d %H:%M UTC")


def _events(timeline: Timeline, now: datetime) -> list[_Event]:
    ev: list[_Event] = []
    if timeline.issued_at is not None:
        ev.append(_Event("issued_at", timeline.issued_at, "above", "issued"))
    if timeline.not_before is not None:
        ev.append(_Event("not_before", timeline.not_before, "above", "valid from"))
    if timeline.auth_time is not None:
        ev.append(_Event("auth_time", timeline.auth_time, "above", "signed in"))
    if timeline.expires_at is not None:
        ev.append(_Event("expires_at", timeline.expires_at, "above", "expires"))
    req, clock = request_moment(timeline)
    skew = skew_of(timeline)
    if timeline.sent_at is not None:
        if clock == "server" and req is not None:
            if skew is not None and abs(skew) >= SKEW_NOISE_S:
                ev.append(_Event("sent_local", timeline.sent_at, "below", "sent (your clock)"))
                ev.append(_Event("sent_server", req, "below", "sent (server clock)"))
            else:
                ev.append(_Event("sent_server", req, "below", "request sent"))
        else:
            ev.append(_Event("sent_local", timeline.sent_at, "below", "sent (your clock)"))
    elif req is not None:
        ev.append(_Event("sent_server", req, "below", "server's Date"))
    ev.append(_Event("now", now, "below", "now"))
    return ev


def compute_geometry(
    timeline: Timeline | None,
    width: float,
    *,
    now: datetime | None = None,
    text_width: TextWidth = _approx_width,
    line_height: float = 16.0,
) -> TimelineGeometry:
    """Where every mark, band, label and sentence goes for a widget of this width. Pure."""
    width = max(float(width), 80.0)
    lh = line_height
    axis_x1, axis_x2 = MARGIN, width - MARGIN
    if timeline is None:
        return TimelineGeometry(width, lh * 2, lh, axis_x1, axis_x2, (), empty_text="No token times to show.")
    now = now or timeline.now
    # headlines: wrapped to the width
    y = 6.0
    heads: list[tuple[Headline, tuple[str, ...], float]] = []
    for h in describe_timeline(timeline, now):
        lines = tuple(wrap(h.text, width - 2 * MARGIN, text_width))
        heads.append((h, lines, y))
        y += lh * len(lines)
    y += 6.0
    events = _events(timeline, now)
    has_request = any(e.key.startswith("sent_") for e in events)
    # a ticking 'now' just after the request must not squeeze the scale; with no request it is the reference
    times = [(_ts(e.when), not (e.key == "now" and has_request)) for e in events]
    scale = _build_scale(times, axis_x1 + INSET, axis_x2 - INSET)
    days = {e.when.astimezone(UTC).date() for e in events}

    # events drawn at (nearly) one place on one side share one mark and one label
    groups: list[list[_Event]] = []
    for e in sorted(events, key=lambda e: (e.side, _ts(e.when))):
        last = groups[-1] if groups else None
        if last and last[0].side == e.side and abs(scale.x(_ts(e.when)) - scale.x(_ts(last[0].when))) < 4:
            last.append(e)
        else:
            groups.append([e])

    max_label = min(width - 4.0, max(100.0, (axis_x2 - axis_x1) * 0.48))
    items: list[_Item] = []
    for g in groups:
        title = " · ".join(e.title for e in g)
        lines = (
            elide(title, max_label, text_width),
            elide(_time_text(g[0].when, days), max_label, text_width),
        )
        items.append(_Item("marker", scale.x(_ts(g[0].when)), lines, g[0].side, group=tuple(g)))

    req, _ = request_moment(timeline)
    span_defs: list[tuple[str, float, float, str, str, str]] = []
    if timeline.expires_at is not None and req is not None:
        x_exp, x_req = scale.x(_ts(timeline.expires_at)), scale.x(_ts(req))
        rem = (timeline.expires_at - req).total_seconds()
        if abs(x_req - x_exp) >= 6:
            text = f"expired {describe_span(rem)} before" if rem <= 0 else f"{describe_span(rem)} left"
            tone = "bad" if rem <= 0 else "good"
            span_defs.append(("expiry", x_exp, x_req, text, tone, "above"))
    skew = skew_of(timeline)
    if skew is not None and timeline.sent_at is not None and req is not None and abs(skew) >= SKEW_NOISE_S:
        x_loc, x_srv = scale.x(_ts(timeline.sent_at)), scale.x(_ts(req))
        way = "behind" if skew > 0 else "ahead"
        tone = "bad" if abs(skew) > 300 else "warn" if abs(skew) > 60 else "neutral"
        span_defs.append(("skew", x_loc, x_srv, f"your clock {describe_span(skew)} {way}", tone, "below"))
    for key, xa, xb, text, tone, side in span_defs:
        items.append(
            _Item(
                "span",
                (xa + xb) / 2,
                tuple(wrap(text, max_label, text_width)[:2]),  # rows hold two lines
                side,
                key=key,
                text=text,
                tone=tone,
                xa=xa,
                xb=xb,
            )
        )

    # rows: greedy, left to right, nearest row to the axis first
    row_h = 2 * lh + 4
    placed: dict[int, tuple[float, float, int]] = {}  # item index -> (x, w, row)
    rows_used = {"above": 0, "below": 0}
    for side in ("above", "below"):
        ends: list[float] = []
        order = sorted((i for i, it in enumerate(items) if it.side == side), key=lambda i: items[i].cx)
        for i in order:
            it = items[i]
            w = max(text_width(s) for s in it.lines)
            x = min(max(it.cx - w / 2, 2.0), width - 2.0 - w)
            row = next((r for r, end in enumerate(ends) if end + LABEL_GAP <= x), len(ends))
            if row == len(ends):
                ends.append(x + w)
            else:
                ends[row] = x + w
            placed[i] = (x, w, row)
        rows_used[side] = len(ends)

    above_h = rows_used["above"] * row_h
    axis_y = y + above_h + AXIS_CLEAR
    below_top = axis_y + AXIS_CLEAR
    below_h = rows_used["below"] * row_h

    def label_for(i: int) -> Label:
        x, w, row = placed[i]
        it = items[i]
        h = lh * len(it.lines)
        if it.side == "above":
            top = axis_y - AXIS_CLEAR - (row + 1) * row_h + (row_h - h - 4)
        else:
            top = below_top + row * row_h
        anchor = min(max(it.cx, x), x + w)
        return Label(it.lines, x, top, w, h, row, it.side, anchor)

    markers: list[Marker] = []
    spans: list[Span] = []
    for i, it in enumerate(items):
        if it.kind == "marker":
            first = it.group[0]
            markers.append(
                Marker(
                    first.key,
                    first.when,
                    it.cx,
                    first.side,
                    " · ".join(e.title for e in it.group),
                    label_for(i),
                    tuple(e.key for e in it.group[1:]),
                )
            )
        else:
            sy = axis_y - 9 if it.side == "above" else axis_y + 9
            spans.append(
                Span(
                    it.key,
                    it.xa,
                    it.xb,
                    sy,
                    it.text,
                    it.tone,
                    label_for(i),
                )
            )

    valid_band = leeway_band = expired_band = None
    if timeline.expires_at is not None:
        x_exp = scale.x(_ts(timeline.expires_at))
        start = timeline.not_before or timeline.issued_at
        x_start = scale.x(_ts(start)) if start is not None else axis_x1
        valid_band = (min(x_start, x_exp), x_exp)
        lo = scale.x(_ts(timeline.expires_at) - timeline.leeway_s)
        hi = scale.x(_ts(timeline.expires_at) + timeline.leeway_s)
        if hi - lo < 6:  # keep the band visible even when the leeway is tiny on this scale
            lo, hi = x_exp - 3, x_exp + 3
        leeway_band = (max(lo, axis_x1), min(hi, axis_x2))
        expired_band = (hi, axis_x2) if hi < axis_x2 else None

    # legend: one line of swatches, wrapped
    legend: list[tuple[str, str, float, float]] = []
    ly = below_top + below_h + 4
    lx = MARGIN
    entries = [("valid", "valid"), ("expired", "expired")]
    if leeway_band is not None:
        entries.insert(1, ("leeway", f"leeway ±{describe_span(timeline.leeway_s)}"))
    if scale.breaks:
        entries.append(("break", "not to scale"))
    if timeline.expires_at is None:
        entries = [e for e in entries if e[0] == "break"]
    for kind, text in entries:
        w = 16 + text_width(text) + 14
        if lx + w > width - MARGIN and lx > MARGIN:
            lx = MARGIN
            ly += lh + 2
        legend.append((kind, text, lx, ly))
        lx += w
    height = (ly + lh + 6) if legend else (below_top + below_h + 6)

    return TimelineGeometry(
        width=width,
        height=height,
        axis_y=axis_y,
        axis_x1=axis_x1,
        axis_x2=axis_x2,
        headlines=tuple(heads),
        markers=tuple(markers),
        spans=tuple(spans),
        valid_band=valid_band,
        leeway_band=leeway_band,
        expired_band=expired_band,
        breaks=tuple(scale.breaks),
        legend=tuple(legend),
        line_height=lh,
    )


@dataclass(frozen=True)
class TimelineColors:
    text: QColor
    muted: QColor
    axis: QColor
    marks: dict[str, QColor]
    tones: dict[str, QColor]
    valid: QColor
    leeway: QColor
    expired: QColor


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def colors_for(palette: QPalette) -> TimelineColors:
    """Mark colours that keep their contrast on light and on dark windows."""
    dark = is_dark(palette)

    def pick(light: str, dark_: str) -> QColor:
        return QColor(dark_ if dark else light)

    text = palette.color(QPalette.ColorRole.WindowText)
    muted = QColor(text)
    muted.setAlphaF(0.65)
    red = pick("#c62828", "#ff6b6b")
    marks = {
        "issued_at": pick("#455a64", "#b0bec5"),
        "not_before": pick("#37474f", "#cfd8dc"),
        "auth_time": pick("#6a1b9a", "#d59cf0"),
        "expires_at": red,
        "sent_local": pick("#1565c0", "#7ab8ff"),
        "sent_server": pick("#00695c", "#5fd4c4"),
        "now": pick("#ad1457", "#f78fb8"),
    }
    tones = {
        "bad": red,
        "warn": pick("#b45309", "#ffb74d"),
        "good": pick("#2e7d32", "#81c784"),
        "neutral": QColor(text),
    }
    valid = pick("#2e7d32", "#66bb6a")
    valid.setAlpha(70 if dark else 55)
    leeway = pick("#f9a825", "#ffca28")
    leeway.setAlpha(120 if dark else 110)
    expired = QColor(red)
    expired.setAlpha(60 if dark else 40)
    axis = QColor(text)
    axis.setAlphaF(0.8)
    return TimelineColors(text, muted, axis, marks, tones, valid, leeway, expired)


class TimelineWidget(QWidget):
    """The expiry timeline of one token; 'now' ticks once a second while the widget is visible."""

    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(parent)
        self._timeline: Timeline | None = None
        self._clock = clock or _utc_now
        self._live = True
        self._last_height = -1
        # heightForWidth, asked many times per layout pass: (width, now) -> height for this timeline and font
        self._heights: dict[tuple[int, datetime | None], int] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.tick)
        self.setAutoFillBackground(True)
        self.setMouseTracking(True)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.setMinimumWidth(120)
        self.setAccessibleName("Token expiry timeline")

    # -- model -----------------------------------------------------------------------------------------------
    def set_timeline(self, timeline: Timeline | None, *, live_now: bool = True) -> None:
        """Show a timeline; with live_now, 'now' follows the clock instead of timeline.now."""
        self._timeline = timeline
        self._live = live_now
        self._heights.clear()
        self._sync_timer()
        self._relayout()

    def timeline(self) -> Timeline | None:
        return self._timeline

    def current_now(self) -> datetime | None:
        if self._timeline is None:
            return None
        return self._clock() if self._live else self._timeline.now

    def is_ticking(self) -> bool:
        return self._timer.isActive()

    def tick(self) -> None:
        """Move 'now' (called by the timer each second)."""
        self._relayout()

    def geometry_for_width(self, width: float) -> TimelineGeometry:
        """The computed geometry at this width with this widget's font."""
        bold = self.font()
        bold.setBold(True)  # titles are bold: measure with the wider face so nothing overflows
        fm = QFontMetricsF(bold)
        return compute_geometry(
            self._timeline,
            width,
            now=self.current_now(),
            text_width=fm.horizontalAdvance,
            line_height=fm.height() + 1,
        )

    def headline_texts(self) -> list[str]:
        return [h.text for h, _, _ in self.geometry_for_width(max(self.width(), 200)).headlines]

    # -- sizing ----------------------------------------------------------------------------------------------
    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        now = self.current_now()  # a live clock moves on every call: the height is kept per second
        key = (width, now.replace(microsecond=0) if now is not None else None)
        height = self._heights.get(key)
        if height is None:
            if len(self._heights) > 64:  # 'now' moves every second: keep the last few only
                self._heights.clear()
            height = self._heights[key] = int(self.geometry_for_width(width).height + 0.5)
        return height

    def sizeHint(self) -> QSize:
        return QSize(560, self.heightForWidth(560))

    def minimumSizeHint(self) -> QSize:
        return QSize(120, 40)

    def _relayout(self) -> None:
        h = self.heightForWidth(max(self.width(), 120))
        if h != self._last_height:
            self._last_height = h
            # a scroll area does not always honour heightForWidth; a minimum height makes it do so
            self.setMinimumHeight(h)
            self.updateGeometry()
        self.update()

    def _sync_timer(self) -> None:
        if self._timeline is not None and self._live and self.isVisible():
            self._timer.start()
        else:
            self._timer.stop()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._sync_timer()
        self._relayout()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._timer.stop()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self._last_height = -1
            self._heights.clear()
            self._relayout()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self._tooltip_at(
                event.position().x() if hasattr(event, "position") else event.x(), event.y()
            )
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def _tooltip_at(self, x: float, y: float) -> str | None:
        g = self.geometry_for_width(self.width())
        for m in g.markers:
            r = m.label
            if abs(m.x - x) <= 5 or (r.x <= x <= r.x + r.width and r.y <= y <= r.y + r.height):
                local = m.when.astimezone()
                return (
                    f"{m.title}\n{m.when.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC\n"
                    f"{local:%Y-%m-%d %H:%M:%S} {local.tzname() or 'local'}"
                )
        return None

    # -- painting --------------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        g = self.geometry_for_width(self.width())
        c = colors_for(self.palette())
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            self._paint(p, g, c)
        finally:
            p.end()

    def _paint(self, p: QPainter, g: TimelineGeometry, c: TimelineColors) -> None:
        fm = QFontMetricsF(self.font())
        lh = g.line_height
        if g.empty_text:
            p.setPen(c.muted)
            p.drawText(
                QRectF(MARGIN, 0, g.width - 2 * MARGIN, g.height), Qt.AlignmentFlag.AlignVCenter, g.empty_text
            )
            return
        bold = self.font()
        bold.setBold(True)
        first = True
        for head, lines, top in g.headlines:
            p.setFont(bold if first or head.tone == "bad" else self.font())
            p.setPen(c.tones[head.tone])
            for i, line in enumerate(lines):
                p.drawText(QPointF(MARGIN, top + i * lh + fm.ascent()), line)
            first = False
        p.setFont(self.font())

        ay = g.axis_y
        # bands
        if g.valid_band:
            x1, x2 = g.valid_band
            p.fillRect(QRectF(x1, ay - 5, x2 - x1, 10), c.valid)
        if g.expired_band:
            x1, x2 = g.expired_band
            p.fillRect(QRectF(x1, ay - 5, x2 - x1, 10), c.expired)
        if g.leeway_band:
            x1, x2 = g.leeway_band
            p.fillRect(QRectF(x1, ay - 8, x2 - x1, 16), c.leeway)

        # axis with break marks
        pen = QPen(c.axis, 1.5)
        p.setPen(pen)
        xs = [g.axis_x1]
        for b in g.breaks:
            xs += [b - 4, b + 4]
        xs.append(g.axis_x2)
        for i in range(0, len(xs), 2):
            p.drawLine(QPointF(xs[i], ay), QPointF(xs[i + 1], ay))
        for b in g.breaks:
            for dx in (-4, 4):
                p.drawLine(QPointF(b + dx - 3, ay + 6), QPointF(b + dx + 3, ay - 6))

        # spans: double-headed arrows with their words
        for s in g.spans:
            color = c.tones[s.tone]
            p.setPen(QPen(color, 1.5))
            x1, x2 = sorted((s.x1, s.x2))
            p.drawLine(QPointF(x1, s.y), QPointF(x2, s.y))
            for x, d in ((x1, 1), (x2, -1)):
                p.drawLine(QPointF(x, s.y), QPointF(x + 5 * d, s.y - 3))
                p.drawLine(QPointF(x, s.y), QPointF(x + 5 * d, s.y + 3))
            self._paint_label(
                p, s.label, (s.label.anchor_x, s.y), color, color, fm, bold_first=True, all_bold=True
            )

        # markers: the most telling drawn last, on top
        order = ("now", "issued_at", "not_before", "auth_time", "sent_local", "sent_server", "expires_at")
        for m in sorted(g.markers, key=lambda m: order.index(m.key) if m.key in order else 0):
            color = c.marks.get(m.key, c.text)
            p.setPen(QPen(color, 2.5 if m.key in ("expires_at", "sent_server", "now") else 2))
            p.drawLine(QPointF(m.x, ay - 9), QPointF(m.x, ay + 9))
            path = QPainterPath()
            if m.side == "above":
                path.moveTo(m.x - 5, ay - 15)
                path.lineTo(m.x + 5, ay - 15)
                path.lineTo(m.x, ay - 9)
                path.closeSubpath()
            else:
                path.addEllipse(QPointF(m.x, ay + 12), 3.5, 3.5)
            p.fillPath(path, color)
            self._paint_label(p, m.label, (m.x, ay), color, c.text, fm, bold_first=True)

        # legend
        for kind, text, x, y in g.legend:
            sw = QRectF(x, y + (lh - 10) / 2, 14, 10)
            if kind == "valid":
                p.fillRect(sw, c.valid)
            elif kind == "leeway":
                p.fillRect(sw, c.leeway)
            elif kind == "expired":
                p.fillRect(sw, c.expired)
            else:
                p.setPen(QPen(c.axis, 1.5))
                p.drawLine(QPointF(x + 3, y + lh - 3), QPointF(x + 7, y + 3))
                p.drawLine(QPointF(x + 8, y + lh - 3), QPointF(x + 12, y + 3))
            p.setPen(c.muted)
            p.drawText(QPointF(x + 18, y + fm.ascent()), text)

    def _paint_label(
        self,
        p: QPainter,
        label: Label,
        origin: tuple[float, float],
        title_color: QColor,
        text_color: QColor,
        fm: QFontMetricsF,
        *,
        bold_first: bool,
        all_bold: bool = False,
    ) -> None:
        ox, oy = origin
        lead = QPen(title_color, 1, Qt.PenStyle.DotLine)
        p.setPen(lead)
        if label.side == "above":
            end_y = label.y + label.height + 1
            start_y = min(oy - 16, end_y)
        else:
            end_y = label.y - 1
            start_y = max(oy + 16, end_y)
        if abs(end_y - start_y) > 1 or abs(label.anchor_x - ox) > 1:
            p.drawLine(QPointF(ox, start_y), QPointF(label.anchor_x, end_y))
        font = self.font()
        for i, line in enumerate(label.lines):
            f = self.font()
            f.setBold(all_bold or (bold_first and i == 0))
            p.setFont(f)
            p.setPen(title_color if i == 0 or all_bold else text_color)
            p.drawText(QPointF(label.x, label.y + i * label.height / len(label.lines) + fm.ascent()), line)
        p.setFont(font)
