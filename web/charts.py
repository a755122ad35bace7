"""Small charts drawn on the server as SVG (no script, nothing fetched from elsewhere, allowed by
the strict CSP): a KPI's trend as columns against its target, and stacked bars of reviews per team.
Every chart carries its numbers as text too (a title per mark, an accessible label), and each mark
can be a link to the list behind it."""

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

OK, BAD, NEUTRAL, TARGET = "#1a7f37", "#cf222e", "#57606a", "#0b5cad"


@dataclass
class Segment:
    label: str
    value: int
    colour: str
    href: str | None = None


def _open(width: int, height: int, title: str, *, linked: bool) -> str:
    # A chart of links is a group of controls (an "img" may not contain any); one without is an image.
    role = "group" if linked else "img"
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="{role}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def _link(inner: str, href: str | None, label: str) -> str:
    if not href:
        return inner
    return f'<a href="{escape(href)}" aria-label="{escape(label)}">{inner}</a>'


def kpi_trend(
    points: list[tuple[str, float | None]],
    target: float | None,
    *,
    title: str,
    hrefs: Sequence[str | None] | None = None,
    width: int = 320,
    height: int = 150,
) -> Markup:
    """Columns per period (value 0..1, as %), coloured against the target, with the target as a line."""
    left, bottom, top = 40, 22, 14
    plot_h = height - bottom - top
    n = max(len(points), 1)
    slot = (width - left - 6) / n
    bar = min(44.0, slot * 0.6)
    parts = [_open(width, height, title, linked=bool(hrefs))]
    for pct in (0, 50, 100):
        y = top + plot_h * (1 - pct / 100)
        parts.append(
            f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de" stroke-width="1"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{pct}%</text>'
        )
    for i, (label, value) in enumerate(points):
        x = left + slot * i + (slot - bar) / 2
        text = f"{label}: " + ("no data" if value is None else f"{value * 100:.0f} %")
        if value is None:
            mark = (
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h - 4:.1f}" text-anchor="middle" fill="{NEUTRAL}">—</text>'
            )
        else:
            h = max(plot_h * value, 1.5)
            colour = NEUTRAL if target is None else (OK if value >= target else BAD)
            mark = (
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(text)}</title></rect>"
                f'<text x="{x + bar / 2:.1f}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle">{value * 100:.0f}%</text>'
            )
        href = hrefs[i] if hrefs and i < len(hrefs) else None
        parts.append(_link(mark, href, text))
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - 6}" text-anchor="middle">{escape(label)}</text>')
    if target is not None:
        y = top + plot_h * (1 - target)
        parts.append(
            f'<line x1="{left}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="{TARGET}" stroke-width="2" '
            f'stroke-dasharray="5 3"><title>Target {target * 100:.0f} %</title></line>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bars(rows: list[tuple[str, list[Segment]]], *, title: str, width: int = 560, row_h: int = 26) -> Markup:
    """One horizontal bar per row (a team), split into linked segments (reviews per state)."""
    label_w = 120
    total_max = max((sum(s.value for s in segs) for _, segs in rows), default=0) or 1
    height = row_h * len(rows) + 8
    parts = [_open(width, height, title, linked=any(s.href for _, segs in rows for s in segs))]
    for i, (label, segs) in enumerate(rows):
        y = 4 + i * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">{escape(label)}</text>')
        x = float(label_w)
        for s in segs:
            if not s.value:
                continue
            w = (width - label_w - 40) * s.value / total_max
            text = f"{label}: {s.value} {s.label}"
            mark = (
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{s.colour}">'
                f"<title>{escape(text)}</title></rect>"
            )
            parts.append(_link(mark, s.href, text))
            x += w
        total = sum(s.value for s in segs)
        parts.append(f'<text x="{x + 4:.1f}" y="{y + row_h / 2 + 4:.1f}">{total}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
