"""Bar charts drawn on the server as inline SVG: no script, no CDN, nothing for a closed network to miss.

Laid out right to left as the page reads: horizontal bars grow leftwards from their labels on the
right; a time axis runs from the right (the first day) to the left (the last). Every figure is shown
in Persian digits. The template (admin/reports/dashboard/bar_chart.html) adds the title and
description for screen readers, and the same figures as a table.
"""

import math
from dataclasses import dataclass

from core.text import format_number, to_persian_digits

FONT_SIZE = 12
VALUES_ON_COLUMNS = 24
PALETTE = {
    "primary": "#2f6fb5",
    "open": "#d9901a",
    "accepted": "#2e8b57",
    "rejected": "#c0392b",
    "muted": "#7f8c8d",
}


@dataclass(frozen=True)
class Datum:
    label: str
    value: int
    color: str = "primary"


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    fill: str
    label_x: float
    label_y: float
    value_x: float
    value_y: float
    show_label: bool = True


@dataclass(frozen=True)
class Tick:
    """A grid line at `position` (x for horizontal charts, y for vertical ones) with its value."""

    text: str
    x1: float
    y1: float
    x2: float
    y2: float
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Chart:
    key: str  # unique on the page: the ids of <title> and <desc>
    title: str
    description: str
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    label_heading: str
    value_heading: str
    rows: list[tuple[str, str]]  # the data table: label, value in Persian digits
    vertical: bool = False

    @property
    def values_on_bars(self) -> bool:
        """Horizontal bars always carry their figure; columns only while there is room above each."""
        return not self.vertical or len(self.bars) <= VALUES_ON_COLUMNS


def _scale(data: list[Datum]) -> tuple[int, int]:
    """The grid step and the axis' top value for the largest datum."""
    maximum = max((d.value for d in data), default=0) or 1
    step = _nice_step(maximum)
    return step, step * math.ceil(maximum / step)


def _nice_step(maximum: int, lines: int = 4) -> int:
    """A round grid step (1, 2 or 5 times a power of ten) giving about `lines` grid lines up to `maximum`."""
    rough = max(maximum / lines, 1)
    power = 10 ** math.floor(math.log10(rough))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= rough)


def horizontal_bars(
    *,
    key: str,
    title: str,
    description: str,
    data: list[Datum],
    label_heading: str,
    value_heading: str = "تعداد",
    plot_width: int = 220,
) -> Chart:
    """One bar per datum, top to bottom in the given order; labels on the right, bars growing left.

    The label column is as wide as the longest label is estimated to be (text cannot be measured on the
    server): Vazirmatn at 12 px averages under 6.6 px a character.
    """
    bar_height, gap, top, value_room = 20, 10, 24, 64
    longest = max((len(d.label) for d in data), default=0)
    label_width = min(max(math.ceil(longest * 6.6) + 12, 80), 340)
    width = label_width + 8 + plot_width + value_room
    right = width - label_width - 8  # where every bar starts
    room = plot_width
    step, scale_max = _scale(data)
    height = top + len(data) * (bar_height + gap) + 4
    bars = []
    for index, datum in enumerate(data):
        length = room * datum.value / scale_max
        y = top + index * (bar_height + gap)
        bars.append(
            Bar(
                label=to_persian_digits(datum.label),
                value_text=format_number(datum.value),
                x=round(right - length, 1),
                y=y,
                width=round(length, 1),
                height=bar_height,
                fill=PALETTE[datum.color],
                label_x=width - 4,
                label_y=y + bar_height / 2,
                value_x=round(right - length - 6, 1),
                value_y=y + bar_height / 2,
            )
        )
    ticks = [
        Tick(
            text=format_number(value),
            x1=round(right - room * value / scale_max, 1),
            y1=top - 4,
            x2=round(right - room * value / scale_max, 1),
            y2=height - 4,
            text_x=round(right - room * value / scale_max, 1),
            text_y=top - 10,
        )
        for value in range(0, scale_max + 1, step)
    ]
    return Chart(
        key=key,
        title=title,
        description=description,
        width=width,
        height=height,
        bars=bars,
        ticks=ticks,
        label_heading=label_heading,
        value_heading=value_heading,
        rows=[(to_persian_digits(d.label), format_number(d.value)) for d in data],
    )


def vertical_bars(
    *,
    key: str,
    title: str,
    description: str,
    data: list[Datum],
    label_heading: str,
    value_heading: str = "تعداد",
    width: int = 960,
    height: int = 260,
    max_labels: int = 16,
) -> Chart:
    """One column per datum, the first on the right; the axis' figures on the right edge."""
    axis_room, left, top, bottom = 56, 8, 20, 34
    plot_width, plot_height = width - axis_room - left, height - top - bottom
    base = top + plot_height
    step, scale_max = _scale(data)
    slot = plot_width / max(len(data), 1)
    every = math.ceil(len(data) / max_labels) if data else 1
    bars = []
    for index, datum in enumerate(data):
        bar_height = plot_height * datum.value / scale_max
        slot_right = width - axis_room - index * slot
        bars.append(
            Bar(
                label=to_persian_digits(datum.label),
                value_text=format_number(datum.value),
                x=round(slot_right - slot * 0.85, 1),
                y=round(base - bar_height, 1),
                width=round(slot * 0.7, 1),
                height=round(bar_height, 1),
                fill=PALETTE[datum.color],
                label_x=round(slot_right - slot / 2, 1),
                label_y=base + 18,
                value_x=round(slot_right - slot / 2, 1),
                value_y=round(base - bar_height - 4, 1),
                show_label=index % every == 0,
            )
        )
    ticks = [
        Tick(
            text=format_number(value),
            x1=left,
            y1=round(base - plot_height * value / scale_max, 1),
            x2=width - axis_room,
            y2=round(base - plot_height * value / scale_max, 1),
            text_x=width - 4,
            text_y=round(base - plot_height * value / scale_max + FONT_SIZE / 3, 1),
        )
        for value in range(0, scale_max + 1, step)
    ]
    return Chart(
        key=key,
        title=title,
        description=description,
        width=width,
        height=height,
        bars=bars,
        ticks=ticks,
        label_heading=label_heading,
        value_heading=value_heading,
        rows=[(to_persian_digits(d.label), format_number(d.value)) for d in data],
        vertical=True,
    )
