"""The expiry timeline: computed geometry for the cases that matter, and what it paints in both palettes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette

from inspector.core.timeline import Timeline, build_timeline
from inspector.ui.timeline_widget import (
    TimelineGeometry,
    TimelineWidget,
    colors_for,
    compute_geometry,
    describe_timeline,
)

T = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
SHOTS = Path("/tmp/ui-shots")


def _http_date(d: datetime) -> str:
    return d.strftime("%a, %d %b %Y %H:%M:%S GMT")


def _claims(iat: datetime | None = None, exp: datetime | None = None, nbf: datetime | None = None) -> dict:
    out: dict[str, object] = {}
    for name, value in (("iat", iat), ("exp", exp), ("nbf", nbf)):
        if value is not None:
            out[name] = int(value.timestamp())
    return out


def expired() -> Timeline:
    """Expired 4 min 12 s before the request; the clocks agree."""
    claims = _claims(iat=T - timedelta(hours=1), exp=T - timedelta(minutes=4, seconds=12))
    return build_timeline(
        claims,
        sent_at=T,
        elapsed_s=0.0,
        server_date=_http_date(T),
        age_header=None,
        now=T + timedelta(seconds=2),
    )


def skewed() -> Timeline:
    """Your clock is 7 min behind the server; 3 min left by the server's clock."""
    server = T + timedelta(minutes=7)
    claims = _claims(iat=server - timedelta(minutes=57), exp=server + timedelta(minutes=3))
    return build_timeline(
        claims,
        sent_at=T,
        elapsed_s=0.0,
        server_date=_http_date(server),
        age_header=None,
        now=T + timedelta(seconds=5),
    )


def not_yet_valid() -> Timeline:
    claims = _claims(iat=T + timedelta(minutes=5), nbf=T + timedelta(minutes=5), exp=T + timedelta(hours=1))
    return build_timeline(claims, sent_at=T, elapsed_s=0.0, server_date=_http_date(T), age_header=None, now=T)


def no_date() -> Timeline:
    claims = _claims(iat=T - timedelta(minutes=30), exp=T - timedelta(minutes=2))
    return build_timeline(
        claims, sent_at=T, elapsed_s=0.0, server_date=None, age_header=None, now=T + timedelta(seconds=1)
    )


def long_life_small_skew() -> Timeline:
    """A 30-day token and a 90 s skew: both must be visible on one axis."""
    server = T + timedelta(seconds=90)
    claims = _claims(iat=T - timedelta(days=20), exp=T + timedelta(days=10))
    return build_timeline(
        claims,
        sent_at=T,
        elapsed_s=0.0,
        server_date=_http_date(server),
        age_header=None,
        now=T + timedelta(seconds=3),
    )


CASES: dict[str, Callable[[], Timeline]] = {
    "expired": expired,
    "skewed": skewed,
    "not-yet-valid": not_yet_valid,
    "no-date": no_date,
    "long-life-small-skew": long_life_small_skew,
}
WIDTHS = (820, 420, 200)


def _dark_palette() -> QPalette:
    p = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#1e1f22"),
        (QPalette.ColorRole.WindowText, "#e8eaed"),
        (QPalette.ColorRole.Base, "#151515"),
        (QPalette.ColorRole.Text, "#e8eaed"),
    ):
        p.setColor(role, QColor(color))
    return p


def _request_x(g: TimelineGeometry) -> float:
    m = g.marker("sent_server") or g.marker("sent_local")
    assert m is not None
    return m.x


def _assert_labels_sane(g: TimelineGeometry) -> None:
    labels = [m.label for m in g.markers] + [s.label for s in g.spans]
    for lab in labels:
        assert 0 <= lab.x and lab.x + lab.width <= g.width + 0.5, lab
        assert 0 <= lab.y and lab.y + lab.height <= g.height, lab
    for side in ("above", "below"):
        rows: dict[int, list] = {}
        for lab in labels:
            if lab.side == side:
                rows.setdefault(lab.row, []).append(lab)
        for row in rows.values():
            row.sort(key=lambda lab: lab.x)
            for a, b in pairwise(row):
                assert a.x + a.width <= b.x, f"labels overlap in a row: {a.lines} / {b.lines}"


@pytest.mark.parametrize("width", WIDTHS)
def test_expired_exp_sits_before_the_request_with_words(width: int) -> None:
    g = compute_geometry(expired(), width)
    exp = g.marker("expires_at")
    assert exp is not None and exp.x < _request_x(g)
    span = g.span("expiry")
    assert span is not None and span.text == "expired 4 min 12 s before"
    assert g.headlines[0][0].text == "Expired 4 min 12 s before the request (by the server's clock)."
    assert g.headlines[0][0].tone == "bad"
    assert g.marker("sent_local") is None  # the clocks agree: one request marker
    assert g.leeway_band is not None and g.leeway_band[0] < exp.x < g.leeway_band[1]
    _assert_labels_sane(g)


@pytest.mark.parametrize("width", WIDTHS)
def test_skew_marks_the_request_by_both_clocks(width: int) -> None:
    g = compute_geometry(skewed(), width)
    local, server, exp = g.marker("sent_local"), g.marker("sent_server"), g.marker("expires_at")
    assert local is not None and server is not None and exp is not None
    assert local.x < server.x < exp.x  # behind: your clock reads earlier than the server's
    skew = g.span("skew")
    assert skew is not None and "7 min behind" in skew.text
    assert abs(skew.x2 - skew.x1) >= 20
    texts = [h.text for h, _, _ in g.headlines]
    assert "Your clock is 7 min behind the server." in texts
    assert "3 min left when the request was sent (by the server's clock)." in texts
    _assert_labels_sane(g)


@pytest.mark.parametrize("width", WIDTHS)
def test_not_yet_valid_puts_nbf_after_the_request(width: int) -> None:
    g = compute_geometry(not_yet_valid(), width)
    nbf = g.marker("not_before")
    assert nbf is not None and nbf.x > _request_x(g)
    # iat and nbf are the same moment here: one marker names both
    assert nbf.key == "issued_at" and nbf.merged == ("not_before",)
    assert g.headlines[0][0].text == "Not valid until 5 min after the request."
    assert g.valid_band is not None and g.valid_band[0] == pytest.approx(nbf.x)
    _assert_labels_sane(g)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_date_judges_by_your_clock(width: int) -> None:
    g = compute_geometry(no_date(), width)
    assert g.marker("sent_server") is None and g.span("skew") is None
    local = g.marker("sent_local")
    assert local is not None and local.title.startswith("sent (your clock)")
    texts = [h.text for h, _, _ in g.headlines]
    assert texts[0] == "Expired 2 min before the request (by your clock)."
    assert any(t.startswith("No Date header from the server") for t in texts)
    _assert_labels_sane(g)


@pytest.mark.parametrize("width", WIDTHS)
def test_long_lifetime_and_small_skew_are_both_visible(width: int) -> None:
    g = compute_geometry(long_life_small_skew(), width)
    skew = g.span("skew")
    assert skew is not None and abs(skew.x2 - skew.x1) >= min(20, width / 8)
    assert g.breaks, "a 30-day lifetime next to a 90 s skew needs a broken scale"
    iat, exp = g.marker("issued_at"), g.marker("expires_at")
    assert iat is not None and exp is not None and iat.x < _request_x(g) < exp.x
    assert any(kind == "break" for kind, *_ in g.legend)
    _assert_labels_sane(g)


def test_markers_keep_time_order_at_every_width() -> None:
    for make in CASES.values():
        tl = make()
        for width in WIDTHS:
            g = compute_geometry(tl, width)
            by_time = sorted(g.markers, key=lambda m: m.when)
            xs = [m.x for m in by_time]
            assert xs == sorted(xs)


def test_narrow_width_stacks_labels_into_more_rows() -> None:
    wide = compute_geometry(skewed(), 900)
    narrow = compute_geometry(skewed(), 200)

    def rows(g: object) -> int:
        return max(m.label.row for m in g.markers) + 1  # type: ignore[attr-defined]

    assert rows(narrow) >= rows(wide)
    assert narrow.height > wide.height
    assert any(len(lines) > 1 for _, lines, _ in narrow.headlines)  # sentences wrap instead of running off


def test_token_alone_is_judged_against_now() -> None:
    tl = Timeline(now=T, issued_at=T - timedelta(hours=2), expires_at=T - timedelta(hours=1))
    heads = [h.text for h in describe_timeline(tl)]
    assert heads[0] == "Expired 1 h ago (by your clock)."
    g = compute_geometry(tl, 400)
    assert g.marker("now") is not None and g.marker("sent_local") is None


def test_no_timeline_says_so() -> None:
    g = compute_geometry(None, 300)
    assert g.empty_text and not g.markers


def _pixel_near(img, x: float, y: float, color: QColor, radius: int = 2, tol: int = 40) -> bool:
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            c = img.pixelColor(round(x) + dx, round(y) + dy)
            if (
                abs(c.red() - color.red()) + abs(c.green() - color.green()) + abs(c.blue() - color.blue())
                <= tol
            ):
                return True
    return False


@pytest.mark.parametrize("palette_name", ["light", "dark"])
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("width", WIDTHS)
def test_renders_offscreen_in_both_palettes(
    qtbot, tmp_path: Path, case: str, width: int, palette_name: str
) -> None:
    tl = CASES[case]()
    widget = TimelineWidget(clock=lambda: tl.now)
    qtbot.addWidget(widget)
    if palette_name == "dark":
        widget.setPalette(_dark_palette())
    widget.set_timeline(tl)
    widget.resize(width, widget.heightForWidth(width))
    img = widget.grab().toImage()
    name = f"timeline-{case}-{width}-{palette_name}.png"
    assert img.save(str(tmp_path / name))
    SHOTS.mkdir(parents=True, exist_ok=True)
    img.save(str(SHOTS / name))

    g = widget.geometry_for_width(width)
    assert img.height() >= int(g.height)
    colors = colors_for(widget.palette())
    background = img.pixelColor(1, int(g.height) - 2)
    assert (background.lightness() < 100) == (palette_name == "dark")
    exp = g.marker("expires_at")
    assert exp is not None
    # the expiry tick is painted where the geometry says, in the expiry colour of this palette
    assert _pixel_near(img, exp.x, g.axis_y - 7, colors.marks["expires_at"])
    request = g.marker("sent_server") or g.marker("sent_local")
    assert request is not None
    assert _pixel_near(img, request.x, g.axis_y + 7, colors.marks[request.key])


def test_now_ticks_only_while_visible(qtbot) -> None:
    moments = [T + timedelta(seconds=2)]
    widget = TimelineWidget(clock=lambda: moments[-1])
    qtbot.addWidget(widget)
    widget.set_timeline(expired())
    assert not widget.is_ticking()
    widget.show()
    qtbot.waitExposed(widget)
    assert widget.is_ticking()
    before = widget.geometry_for_width(600).marker("now")
    moments.append(T + timedelta(minutes=20))
    widget.tick()
    after = widget.geometry_for_width(600).marker("now")
    assert before is not None and after is not None and after.when > before.when
    assert after.label.lines != before.label.lines  # the time under 'now' moved on
    widget.hide()
    assert not widget.is_ticking()


def test_fixed_now_does_not_tick(qtbot) -> None:
    widget = TimelineWidget(clock=lambda: T + timedelta(days=1))
    qtbot.addWidget(widget)
    tl = replace(expired(), now=T + timedelta(hours=1))
    widget.set_timeline(tl, live_now=False)
    widget.show()
    qtbot.waitExposed(widget)
    assert not widget.is_ticking()
    now = widget.geometry_for_width(500).marker("now")
    assert now is not None and now.when == tl.now
