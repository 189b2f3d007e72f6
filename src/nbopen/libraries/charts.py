"""ECharts options for a domain's growth (rendered by ``web/js/charts.js`` from JSON)."""

from __future__ import annotations

from typing import Any

from nbopen.libraries.services import Growth

PALETTE = ["#2563eb", "#16a34a", "#ea580c"]


def line_chart(months: list[str], series: list[tuple[str, list[int]]]) -> dict[str, Any]:
    """One line per (label, values) over ``months``; integers only, so the axis says so."""
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 48, "right": 24, "top": 36, "bottom": 32},
        "xAxis": {"type": "category", "data": months, "boundaryGap": False},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [
            {
                "name": label,
                "type": "line",
                "data": values,
                "symbolSize": 6,
                "showSymbol": True,
                "smooth": False,
            }
            for label, values in series
        ],
    }


def growth_charts(
    growth: Growth, *, repositories: str, contributors: str, rows: str
) -> dict[str, dict[str, Any]]:
    """Two charts: repositories with contributors (same scale), and dataset rows (own scale)."""
    return {
        "people": line_chart(
            growth.months,
            [(repositories, growth.repositories), (contributors, growth.contributors)],
        ),
        "rows": line_chart(growth.months, [(rows, growth.rows)]),
    }
