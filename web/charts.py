"""Charts as server-rendered SVG: no script, no canvas, nothing from elsewhere.

Each chart is a picture of a table that the page shows beside it, so the chart itself is
``role="img"`` with its title as the accessible name, in a figure with that title as its
caption. A count under 5 is drawn as no bar
with the label "< 5", so its length gives nothing away that the table hides.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from markupsafe import Markup, escape

from bot.domain.programme_figures import shown_count
from bot.domain.programmes import SMALL

WIDTH = 560
LABEL_WIDTH = 190
ROW = 30
BAR = 20
_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    # Shown as text at the bar's end; the value itself (masked when small) otherwise.
    text: str | None = None


def bars(title: str, items: list[Bar], *, mask_small: bool = True, maximum: int = 0) -> Markup:
    """A horizontal bar chart: one row per item, the longest bar the largest value (or
    ``maximum``, e.g. 100 for percentages)."""
    ident = f"chart-{next(_ids)}"
    height = max(1, len(items)) * ROW + 10
    top = max([maximum, *(item.value for item in items)], default=0) or 1
    room = WIDTH - LABEL_WIDTH - 70
    parts = [
        f'<figure class="chart-box"><figcaption id="{ident}-caption">{escape(title)}</figcaption>',
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{ident}" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{ident}">{escape(title)}</title>',
    ]
    for row, item in enumerate(items):
        y = 5 + row * ROW
        small = mask_small and 0 < item.value < SMALL
        length = 0 if small else round(room * min(item.value, top) / top)
        text = item.text if item.text is not None else shown_count(item.value)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR - 5}" text-anchor="end" '
            f'class="chart-label">{escape(_short(item.label))}</text>'
        )
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR}" class="chart-bar"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + BAR - 5}" '
            f'class="chart-value">{escape(text)}</text>'
        )
    parts.append("</svg></figure>")
    return Markup("".join(parts))


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
