"""Public results per school and round (opaque applicant ids only) and the district
statistics with SVG charts. Values in, :class:`Rendered` out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from reports._render import Rendered, render


@dataclass(frozen=True, slots=True)
class Admitted:
    applicant: str  # the opaque id (派位编号)
    ticket: str  # first 16 hex digits
    priority: int


@dataclass(frozen=True, slots=True)
class SchoolResult:
    name: str
    seats: int
    applied: int
    mode: str  # 直接录取 / 派位
    admitted: tuple[Admitted, ...]  # in the school's order (priority class, ticket)


@dataclass(frozen=True, slots=True)
class RoundResults:
    round: str
    title: str
    district: str
    draw_id: str
    section: str
    mechanism: str
    participants: int
    schools: tuple[SchoolResult, ...]
    unplaced: tuple[str, ...]  # opaque ids of those this round did not place
    bundle_sha256: str
    verify: str


def render_round_results(results: RoundResults) -> Rendered:
    return render(f"results-{results.round}", "results.html", r=results)


# --- statistics ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    note: str = ""  # printed after the bar, e.g. "121 / 34"


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    unit: str
    bars: tuple[Bar, ...]
    reference: float | None = None  # a vertical line, e.g. 1.0 for "as many applicants as seats"


@dataclass(frozen=True, slots=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Statistics:
    district: str
    season: str
    charts: tuple[Chart, ...]
    tables: tuple[Table, ...]
    notes: tuple[str, ...]


def bar_chart_svg(chart: Chart, *, width: int = 640, row: int = 18) -> str:
    """A horizontal bar chart as an SVG element: one bar per label, the value's bar length
    proportional to the largest value (and the reference line, when given)."""
    label_w, note_w, pad = 150, 110, 6
    plot_w = width - label_w - note_w - 2 * pad
    top = max([b.value for b in chart.bars] + [chart.reference or 0.0, 1e-9])
    height = pad * 2 + row * max(len(chart.bars), 1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(chart.title)}">']
    for i, b in enumerate(chart.bars):
        y = pad + i * row
        w = plot_w * b.value / top
        out.append(f'<text x="{label_w - 4}" y="{y + row * 0.7:.1f}" font-size="11" text-anchor="end">'
                   f'{escape(b.label)}</text>')
        out.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="#4a6fa5"/>')
        out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + row * 0.7:.1f}" font-size="10">'
                   f'{escape(b.note or f"{b.value:g}")}</text>')
    if chart.reference is not None:
        x = label_w + plot_w * chart.reference / top
        out.append(f'<line x1="{x:.1f}" y1="{pad / 2}" x2="{x:.1f}" y2="{height - pad / 2}" '
                   'stroke="#c0392b" stroke-dasharray="4 3"/>')
    out.append("</svg>")
    return "".join(out)


def render_statistics(stats: Statistics) -> Rendered:
    charts = [(c, bar_chart_svg(c)) for c in stats.charts]
    return render("statistics", "statistics.html", s=stats, charts=charts)


def render_index(title: str, entries: Sequence[tuple[str, str]]) -> str:
    """A small HTML index of report files: (file name, description)."""
    from reports._render import render_html  # noqa: PLC0415

    return render_html("index.html", title=title, entries=entries)
