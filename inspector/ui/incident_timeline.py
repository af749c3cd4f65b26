"""Paints an incident on a time axis: failures as red marks above it, successes as green marks below it, and a
band between the last success and the first failure: the change happened there.

Where every mark goes is computed by the pure function `incident_geometry(incident, width)` from the widget's
width alone (never from the font), so a test reads the positions without painting. `IncidentTimeline` paints
what it returns, with the start and end times as the only text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Signal
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from inspector.core.incidents import Incident

__all__ = ["Mark", "TimelineGeometry", "incident_geometry", "IncidentTimeline"]

MARGIN = 12.0  # the axis ends this far from the widget's edges (pixels, not characters)
MARK_HALF = 10.0  # a mark reaches this far above (failure) or below (success) the axis
PAD_SHARE = 0.04  # of the time span, added at both ends so the first and last marks are not on the edge
MIN_SPAN_S = 0.001  # one mark alone still gets an axis
HIT_PX = 5.0  # a click or a tool tip picks the nearest mark within this distance
FAILURE = QColor("#d32f2f")
SUCCESS = QColor("#2e7d32")
BAND = QColor(255, 167, 38, 70)  # amber, translucent: the marks stay visible through it

Kind = Literal["failure", "success"]


@dataclass(frozen=True)
class Mark:
    x: float
    kind: Kind
    entry_id: int
    at: datetime


@dataclass(frozen=True)
class TimelineGeometry:
    marks: tuple[Mark, ...]
    band: tuple[float, float] | None  # x of the last success before, x of the first failure
    start: datetime | None
    end: datetime | None
    axis: tuple[float, float]  # x of the axis's two ends


def incident_geometry(incident: Incident | None, width: float) -> TimelineGeometry:
    """Each failure and success of the incident as an x between the margins of a widget `width` wide."""
    left, right = MARGIN, max(MARGIN + 1.0, width - MARGIN)
    if incident is None:
        return TimelineGeometry((), None, None, None, (left, right))
    times = [*incident.failure_times, *incident.success_times]
    if incident.last_success is not None:
        times.append(incident.last_success)
    if not times:
        return TimelineGeometry((), None, None, None, (left, right))
    first, last = min(times), max(times)
    span = max((last - first).total_seconds(), MIN_SPAN_S)
    pad = span * PAD_SHARE
    total = span + 2 * pad

    def x_of(moment: datetime) -> float:
        return left + ((moment - first).total_seconds() + pad) / total * (right - left)

    marks = [Mark(x_of(t), "failure", i, t)
             for t, i in zip(incident.failure_times, incident.entries, strict=False)]
    marks += [Mark(x_of(t), "success", i, t)
              for t, i in zip(incident.success_times, incident.successes, strict=False)]
    marks.sort(key=lambda m: (m.x, m.kind))
    band = None
    if incident.last_success is not None:
        band = (x_of(incident.last_success), x_of(incident.first_failure))
    return TimelineGeometry(tuple(marks), band, first, last, (left, right))


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S.%f")[:-3]


class IncidentTimeline(QWidget):
    """The incident's marks on a time axis; a click on a mark emits mark_clicked(entry_id)."""

    mark_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("incidentTimeline")
        self._incident: Incident | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(False)
        self.setAccessibleName("Incident timeline")

    def set_incident(self, incident: Incident | None) -> None:
        self._incident = incident
        self.update()

    def incident(self) -> Incident | None:
        return self._incident

    def geometry_now(self) -> TimelineGeometry:
        """The marks for the widget's current width (what paintEvent draws)."""
        return incident_geometry(self._incident, float(self.width()))

    def visible_texts(self) -> list[str]:
        """The text this widget paints (for the secret scan): the two times at the axis's ends."""
        g = self.geometry_now()
        return [_clock(t) for t in (g.start, g.end) if t is not None]

    def _axis_y(self) -> float:
        return MARK_HALF + 4.0

    def sizeHint(self) -> QSize:
        return QSize(320, int(self._axis_y() + MARK_HALF + 6 + self.fontMetrics().height() + 4))

    def minimumSizeHint(self) -> QSize:
        return QSize(120, self.sizeHint().height())

    def paintEvent(self, _event: object) -> None:
        g = self.geometry_now()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        y = self._axis_y()
        text = self.palette().color(self.foregroundRole())
        if g.band is not None:
            x0, x1 = g.band
            p.fillRect(QRectF(x0, y - MARK_HALF - 2, max(2.0, x1 - x0), 2 * MARK_HALF + 4), BAND)
        p.setPen(QPen(text, 1))
        p.drawLine(QPointF(g.axis[0], y), QPointF(g.axis[1], y))
        for mark in g.marks:
            color = FAILURE if mark.kind == "failure" else SUCCESS
            p.setPen(QPen(color, 2))
            end = y - MARK_HALF if mark.kind == "failure" else y + MARK_HALF
            p.drawLine(QPointF(mark.x, y), QPointF(mark.x, end))
        if g.start is not None and g.end is not None:
            p.setPen(QPen(text, 1))
            fm = self.fontMetrics()
            base = y + MARK_HALF + 4 + fm.ascent()
            p.drawText(QPointF(g.axis[0], base), _clock(g.start))
            end_text = _clock(g.end)
            p.drawText(QPointF(g.axis[1] - fm.horizontalAdvance(end_text), base), end_text)
        p.end()

    def mark_at(self, x: float) -> Mark | None:
        """The mark nearest x within HIT_PX, failures first when they share a place."""
        best: Mark | None = None
        for mark in self.geometry_now().marks:
            d = abs(mark.x - x)
            if d <= HIT_PX and (best is None or d < abs(best.x - x)
                                or (d == abs(best.x - x) and mark.kind == "failure")):
                best = mark
        return best

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            mark = self.mark_at(float(event.pos().x()))
            if mark is not None:
                what = "Refused" if mark.kind == "failure" else "Succeeded"
                QToolTip.showText(event.globalPos(), f"{what} at {_clock(mark.at)} (request #{mark.entry_id})",
                                  self)
            else:
                g = self.geometry_now()
                if g.band is not None and g.band[0] <= event.pos().x() <= g.band[1]:
                    QToolTip.showText(event.globalPos(), "The change happened here: between the last success "
                                      "and the first failure", self)
                else:
                    QToolTip.hideText()
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        mark = self.mark_at(event.position().x())
        if mark is not None:
            self.mark_clicked.emit(mark.entry_id)
        super().mousePressEvent(event)
