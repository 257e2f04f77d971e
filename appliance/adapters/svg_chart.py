"""Bar, stacked bar and line charts as SVG text, drawn on the server: the box is offline and its pages run no inline
script. Colours and fonts are presentation attributes, not style attributes, so the console's CSP lets them be.

Every label is escaped; the chart names itself with <title> and <desc> (role="img"), and each bar or point carries
its own <title> with its figure. The page puts the numbers in a table as well, for screen readers and phones.
"""

import math
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 40, 92
COLOURS = ("#2b6cb0", "#dd6b20", "#2f855a", "#805ad5", "#c53030", "#718096")
FONT = "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, sans-serif"
MAX_LABELS = 15  # x-axis labels shown; the others are in the bars' titles and the table
LABEL_LENGTH = 18


@dataclass(frozen=True)
class Chart:
    """What to draw: `kind` is bar, stacked or line; each series is (name, a value per category)."""

    kind: str
    title: str
    description: str
    categories: list[str]
    series: list[tuple[str, list[float]]]
    empty_text: str = "—"
    identifier: str = "chart"  # unique on the page: the ids of <title> and <desc> derive from it


def render(chart: Chart) -> str:
    """The chart as an <svg> element (text, every label escaped)."""
    ident = escape(chart.identifier, quote=True)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
             f'aria-labelledby="{ident}-title {ident}-desc" font-family="{escape(FONT, quote=True)}" font-size="14">',
             f'<title id="{ident}-title">{escape(chart.title)}</title>',
             f'<desc id="{ident}-desc">{escape(chart.description)}</desc>',
             f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>']
    if not chart.categories or not chart.series:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#718096">'
                     f'{escape(chart.empty_text)}</text>')
    else:
        top = _scale_top(chart)
        parts += _axis(top) + _legend(chart.series) + _categories(chart.categories)
        parts += _lines(chart, top) if chart.kind == "line" else _bars(chart, top)
    parts.append("</svg>")
    return "\n".join(parts)


def _scale_top(chart: Chart) -> float:
    if chart.kind == "stacked":
        highest = max(sum(values[index] for _, values in chart.series) for index in range(len(chart.categories)))
    else:
        highest = max(max(values, default=0) for _, values in chart.series)
    counts = all(float(value).is_integer() for _, values in chart.series for value in values)
    return _nice(highest, counts)


def _nice(value: float, counts: bool) -> float:
    """A round top for the scale (1, 2 or 5 times a power of ten, in four steps; steps of counts are whole)."""
    if value <= 0:
        return 4
    rough = value / 4
    if counts and rough <= 1:
        return 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(factor * power for factor in (1, 2, 5, 10) if factor * power >= rough)
    return step * 4


def _plot() -> tuple[float, float]:
    return WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _y(value: float, top: float) -> float:
    return round(TOP + _plot()[1] * (1 - value / top), 1)


def _axis(top: float) -> list[str]:
    width, _ = _plot()
    parts = []
    for step in range(5):
        value = top * step / 4
        y = _y(value, top)
        parts.append(f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + width}" y2="{y}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" fill="#4a5568">{_number(value)}</text>')
    return parts


def _legend(series: list[tuple[str, list[float]]]) -> list[str]:
    parts, x = [], LEFT
    for index, (name, _) in enumerate(series):
        colour = COLOURS[index % len(COLOURS)]
        parts.append(f'<rect x="{x}" y="12" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16}" y="22" fill="#1a202c">{escape(name)}</text>')
        x += 32 + sum(14 if ord(character) > 0x2E80 else 8 for character in name)  # wide CJK, narrow Latin
    return parts


def _slot(count: int) -> float:
    return _plot()[0] / count


def _categories(categories: list[str]) -> list[str]:
    every = math.ceil(len(categories) / MAX_LABELS)
    slanted = len(categories) > 6 or any(len(label) > 6 for label in categories)
    parts = []
    for index, label in enumerate(categories):
        if index % every:
            continue
        x, y = round(LEFT + _slot(len(categories)) * (index + 0.5), 1), HEIGHT - BOTTOM + 16
        short = label if len(label) <= LABEL_LENGTH else label[: LABEL_LENGTH - 1] + "…"
        turn = f' transform="rotate(-35 {x} {y})"' if slanted else ""
        anchor = "end" if slanted else "middle"
        parts.append(f'<text x="{x}" y="{y}" text-anchor="{anchor}"{turn} fill="#4a5568" font-size="13">'
                     f'{escape(short)}</text>')
    return parts


def _bars(chart: Chart, top: float) -> list[str]:
    slot, parts = _slot(len(chart.categories)), []
    stacked = chart.kind == "stacked"
    width = slot * (0.6 if stacked else 0.8 / len(chart.series))
    for index, category in enumerate(chart.categories):
        base = 0.0
        for number, (name, values) in enumerate(chart.series):
            value = values[index]
            x = LEFT + slot * index + (slot * 0.2 if stacked else slot * 0.1 + width * number)
            low, high = (base, base + value) if stacked else (0.0, value)
            y = _y(high, top)
            parts.append(f'<rect x="{round(x, 1)}" y="{y}" width="{round(width, 1)}" '
                         f'height="{round(_y(low, top) - y, 1)}" fill="{COLOURS[number % len(COLOURS)]}">'
                         f'<title>{escape(category)} · {escape(name)}: {_number(value)}</title></rect>')
            base = high if stacked else base
    return parts


def _lines(chart: Chart, top: float) -> list[str]:
    slot, parts = _slot(len(chart.categories)), []
    for number, (name, values) in enumerate(chart.series):
        colour = COLOURS[number % len(COLOURS)]
        points = [(round(LEFT + slot * (index + 0.5), 1), _y(value, top)) for index, value in enumerate(values)]
        path = " ".join(f"{x},{y}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), category, value in zip(points, chart.categories, values, strict=True):
            parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{colour}"><title>{escape(category)} · '
                         f'{escape(name)}: {_number(value)}</title></circle>')
    return parts


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"
