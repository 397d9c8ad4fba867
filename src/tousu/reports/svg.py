"""Charts as inline SVG for the printable review and the review page: drawn here, so the report needs no
script and no network and prints as it shows. Plain Python; every text is escaped. Inline SVG in HTML
needs no namespace attribute, and none is written (the report holds no http(s) address at all)."""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

PALETTE = ("#1c5fb8", "#b42318", "#2f855a", "#b7791f", "#6b46c1", "#0e7490", "#9d174d", "#52606d")
INK, MUTED, GRID = "#1f2933", "#616e7c", "#d9e2ec"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    link: str = ""
    note: str = ""  # shown after the value, e.g. "12%"


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "start", fill: str = INK,
          weight: str = "normal") -> str:
    bold = f' font-weight="{weight}"' if weight != "normal" else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{bold}>'
            f'{escape(text)}</text>')


def _linked(shape: str, link: str, title: str) -> str:
    titled = f"<title>{escape(title)}</title>{shape}" if title else shape
    return f'<a href="{escape(link)}">{titled}</a>' if link else f"<g>{titled}</g>"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
            f'aria-label="{escape(title)}" preserveAspectRatio="xMinYMin meet">{"".join(body)}</svg>')


def _number(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"


def hbars(bars: Sequence[Bar], *, title: str, percent: bool = False, width: int = 640, color: str = PALETTE[0],
          limit: float | None = None) -> str:
    """Horizontal bars with their labels and values; `limit` draws a reference line (e.g. a target rate)."""
    if not bars:
        return ""
    row, label_width, top = 22, 190, 6
    height = top + row * len(bars) + 8
    largest = max((b.value for b in bars), default=0) or 1
    if percent:
        largest = max(largest, 1.0)
    span = width - label_width - 100
    body = []
    for i, bar in enumerate(bars):
        y = top + i * row
        length = max(0.0, bar.value) / largest * span
        body.append(_text(label_width - 8, y + 14, _clip(bar.label, 16), anchor="end"))
        shape = f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" fill="{color}" rx="2"/>'
        body.append(_linked(shape, bar.link, f"{bar.label}: {_number(bar.value, percent)}"))
        value = _number(bar.value, percent) + (f"  {bar.note}" if bar.note else "")
        body.append(_text(label_width + length + 6, y + 14, value, fill=MUTED))
    if limit is not None:
        x = label_width + limit / largest * span
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 6}" stroke="{PALETTE[1]}" '
                    f'stroke-dasharray="4 3"/>')
    return _svg(width, height, body, title)


def pareto(bars: Sequence[Bar], cumulative: Sequence[float], *, title: str, width: int = 640) -> str:
    """Causes by count (bars, left axis) with their cumulative share (line, right axis, 0–100 %) and the
    80 % line."""
    if not bars:
        return ""
    height, left, right, top, bottom = 260, 44, 48, 12, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max(b.value for b in bars) or 1
    step = plot_w / len(bars)
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{GRID}"/>']
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        body.append(_text(left - 6, y + 4, _number(largest * fraction, False), size=10, anchor="end", fill=MUTED))
        body.append(_text(left + plot_w + 6, y + 4, f"{fraction * 100:.0f}%", size=10, fill=MUTED))
    y80 = top + plot_h * 0.2
    body.append(f'<line x1="{left}" y1="{y80:.1f}" x2="{left + plot_w}" y2="{y80:.1f}" stroke="{GRID}" '
                f'stroke-dasharray="4 3"/>')
    points = []
    for i, bar in enumerate(bars):
        x = left + i * step
        h = bar.value / largest * plot_h
        shape = (f'<rect x="{x + step * 0.15:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                 f'height="{h:.1f}" fill="{PALETTE[0]}"/>')
        body.append(_linked(shape, bar.link, f"{bar.label}: {_number(bar.value, False)}"))
        cx = x + step / 2
        points.append((cx, top + plot_h * (1 - cumulative[i])))
        body.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" font-size="11" text-anchor="end" fill="{INK}" '
                    f'transform="rotate(-35 {cx:.1f} {top + plot_h + 14})">{escape(_clip(bar.label, 10))}</text>')
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    body.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"/>')
    body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[1]}"/>' for x, y in points]
    return _svg(width, height, body, title)


def grouped(groups: Sequence[tuple[str, Sequence[float | None]]], series: Sequence[str], *, title: str,
            width: int = 640, percent: bool = False) -> str:
    """Vertical bars in groups (e.g. each figure for this period, the one before, a year ago) with a legend."""
    if not groups:
        return ""
    height, left, top, bottom = 240, 44, 26, 56
    plot_w, plot_h = width - left - 10, height - top - bottom
    values = [v for _label, vs in groups for v in vs if v is not None]
    largest = max(values, default=0) or 1
    step = plot_w / len(groups)
    bar_w = step * 0.8 / max(1, len(series))
    body = []
    for j, name in enumerate(series):
        body.append(f'<rect x="{left + j * 120}" y="4" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>')
        body.append(_text(left + j * 120 + 14, 13, name, size=11))
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{GRID}"/>')
    for i, (label, vs) in enumerate(groups):
        x0 = left + i * step + step * 0.1
        for j, value in enumerate(vs):
            if value is None:
                continue
            h = value / largest * plot_h
            body.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w * 0.9:.1f}" '
                        f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(series[j])}: '
                        f'{escape(_number(value, percent))}</title></rect>')
        cx = left + i * step + step / 2
        body.append(_text(cx, top + plot_h + 16, _clip(label, 8), size=11, anchor="middle"))
    return _svg(width, height, body, title)


def columns(bars: Sequence[Bar], *, title: str, width: int = 360, percent: bool = False) -> str:
    """A few vertical bars with their values on top (e.g. the satisfaction scores 1–5)."""
    if not bars:
        return ""
    height, left, top, bottom = 180, 10, 18, 26
    plot_w, plot_h = width - 2 * left, height - top - bottom
    largest = max(b.value for b in bars) or 1
    step = plot_w / len(bars)
    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{GRID}"/>']
    for i, bar in enumerate(bars):
        h = bar.value / largest * plot_h
        x = left + i * step
        shape = (f'<rect x="{x + step * 0.2:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.6:.1f}" height="{h:.1f}" '
                 f'fill="{PALETTE[i % len(PALETTE)]}"/>')
        body.append(_linked(shape, bar.link, f"{bar.label}: {_number(bar.value, percent)}"))
        body.append(_text(x + step / 2, top + plot_h - h - 4, _number(bar.value, percent), size=11, anchor="middle"))
        body.append(_text(x + step / 2, top + plot_h + 16, bar.label, size=11, anchor="middle"))
    return _svg(width, height, body, title)
