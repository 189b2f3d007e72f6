"""Small per-column ECharts bar charts built from a split's ``/statistics`` payload.

Numbers, text lengths, list lengths and dates have a 10-bin histogram; labels and booleans
have counts per value (the ten most frequent are drawn). The option is complete ECharts
JSON, rendered by ``web/js/charts.js`` (the page's CSP forbids inline scripts).
"""

from __future__ import annotations

from typing import Any

BAR_COLOR = "#c2410c"  # the dataset accent colour (--dataset in app.css)
MAX_CATEGORIES = 10


def _bin_label(lo: Any, hi: Any) -> str:
    return f"{lo} – {hi}"


def _bars(labels: list[str], values: list[int]) -> dict[str, Any]:
    return {
        "animation": False,
        "grid": {"left": 2, "right": 2, "top": 4, "bottom": 2},
        # Labels are dataset values: the tooltip draws them on the canvas, never as HTML.
        "tooltip": {"trigger": "axis", "confine": True, "renderMode": "richText"},
        "xAxis": {"type": "category", "data": labels, "show": False},
        "yAxis": {"type": "value", "show": False},
        "series": [
            {
                "type": "bar",
                "data": values,
                "barCategoryGap": "10%",
                "itemStyle": {"color": BAR_COLOR},
            }
        ],
    }


def column_chart(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The chart for one ``statistics`` entry, or None when there is nothing to draw."""
    stats = entry.get("column_statistics") or {}
    hist = stats.get("histogram")
    if isinstance(hist, dict) and hist.get("hist"):
        edges = hist.get("bin_edges") or []
        counts = [int(c) for c in hist["hist"]]
        labels = [
            _bin_label(edges[i], edges[i + 1]) if i + 1 < len(edges) else str(i)
            for i in range(len(counts))
        ]
        return _bars(labels, counts)
    freq = stats.get("frequencies")
    if isinstance(freq, dict) and freq:
        top = sorted(freq.items(), key=lambda kv: -int(kv[1]))[:MAX_CATEGORIES]
        return _bars([str(k) for k, _ in top], [int(v) for _, v in top])
    return None


def column_summaries(statistics: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """column name → {"kind", "chart" (option or None), "stats"} for the table header."""
    out: dict[str, dict[str, Any]] = {}
    for entry in (statistics or {}).get("statistics", []):
        out[entry["column_name"]] = {
            "kind": entry.get("column_type", ""),
            "chart": column_chart(entry),
            "stats": entry.get("column_statistics") or {},
        }
    return out
