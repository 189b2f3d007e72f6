"""ECharts options for the insights dashboards, built from :mod:`nbopen.analytics.dashboards`
data. Options are plain JSON (the CSP forbids inline scripts: ``charts.js`` renders them);
labels are translated here so both languages get the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# metric → (label, methods-page anchor). Every figure links to its formula and inputs.
METRICS: dict[str, tuple[Any, str]] = {
    "activity": (gettext_lazy("Activity"), "activity"),
    "openrank": (gettext_lazy("OpenRank"), "openrank"),
    "participants": (gettext_lazy("Participants"), "participants"),
    "active_developers": (gettext_lazy("Active developers"), "participants"),
    "active_organizations": (gettext_lazy("Active organizations"), "participants"),
    "active_repositories": (gettext_lazy("Active repositories"), "participants"),
    "affiliated_developers": (gettext_lazy("Affiliated developers"), "participants"),
    "contributors": (gettext_lazy("Contributors"), "contributors"),
    "new_contributors": (gettext_lazy("New contributors"), "contributors"),
    "inactive_contributors": (gettext_lazy("Inactive contributors"), "contributors"),
    "bus_factor": (gettext_lazy("Bus factor"), "bus-factor"),
    "elephant_factor": (gettext_lazy("Elephant factor"), "bus-factor"),
    "issue_response_time.avg": (gettext_lazy("Issue response (days)"), "response-time"),
    "change_request_response_time.avg": (
        gettext_lazy("Change request response (days)"),
        "response-time",
    ),
    "downloads": (gettext_lazy("Downloads"), "counts"),
    "stars": (gettext_lazy("Likes"), "counts"),
    "pushes": (gettext_lazy("Pushes"), "counts"),
    "commits": (gettext_lazy("Commits"), "counts"),
    "rebuild_cost_cny": (gettext_lazy("Rebuild cost (CNY)"), "cocomo"),
    "cost_saved_cny": (gettext_lazy("Cost saved by reuse (CNY)"), "reuse"),
}

# The cost report's assumptions (``analytics.value.city_value``), keyed as in the JSON export,
# in the reader's language: the export keeps the machine text, the page explains it.
ASSUMPTIONS: dict[str, tuple[Any, Any]] = {
    "model": (
        gettext_lazy("Model"),
        gettext_lazy("basic COCOMO, organic mode: PM = 2.4·KSLOC^1.05, months = 2.5·PM^0.38"),
    ),
    "costing": (
        gettext_lazy("Costing"),
        gettext_lazy("each repository is costed as one module on its total source lines"),
    ),
    "monthly_labour_cost_cny": (gettext_lazy("Labour cost per person-month (CNY)"), None),
    "overhead": (gettext_lazy("Overhead factor"), None),
    "reuse": (
        gettext_lazy("Reuse"),
        gettext_lazy(
            "the rebuild cost counts once per reusing organization (not the owner), from "
            "declared dependencies, model-card base_model/datasets, forks and downloads"
        ),
    ),
    "excluded": (
        gettext_lazy("Excluded"),
        gettext_lazy("blank and comment lines, vendored and generated code, binaries"),
    ),
}


def assumptions(raw: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, label, text) of every assumption; numbers stay numbers, unknown keys as they are."""
    out = []
    for key, value in raw.items():
        name, text = ASSUMPTIONS.get(key, (key, None))
        shown = str(text) if text is not None and isinstance(value, str) else str(value)
        out.append((key, str(name), shown))
    return out


PALETTE = ["#c7000b", "#0550ae", "#1b7c83", "#8250df", "#bf8700", "#57606a", "#f08a24"]
KIND_COLOURS = {
    "enterprise": "#0550ae",
    "university": "#8250df",
    "institute": "#1b7c83",
    "government": "#c7000b",
    "community": "#bf8700",
}


def label(metric: str) -> str:
    return str(METRICS.get(metric, (metric, ""))[0])


def anchor(metric: str) -> str:
    return METRICS.get(metric, ("", "counts"))[1]


@dataclass(frozen=True)
class Chart:
    """One chart on a page: the element id, its option, its title and its method anchor."""

    id: str
    title: str
    option: dict[str, Any]
    method: str
    height: int = 280

    @property
    def empty(self) -> bool:
        """Nothing to draw: no series has a non-zero value (a graph needs nodes)."""
        for series in self.option.get("series", []):
            for item in series.get("data", []):
                value = item.get("value", 1) if isinstance(item, dict) else item
                if value:
                    return False
        return True


def _base(**extra: Any) -> dict[str, Any]:
    return {
        "color": PALETTE,
        "tooltip": {"trigger": "axis"},
        "grid": {"containLabel": True},
        **extra,
    }


def trend(
    chart_id: str,
    title: str,
    series: dict[str, dict[str, float]],
    metrics: list[str],
    *,
    method: str | None = None,
    months: list[str] | None = None,
) -> Chart:
    """Monthly lines, one per metric, on a shared month axis (missing months are 0)."""
    present = [m for m in metrics if series.get(m)]
    axis = months or sorted({month for m in present for month in series[m]})
    lines = [
        {
            "name": label(m),
            "type": "line",
            "smooth": True,
            "data": [round(series[m].get(month, 0.0), 2) for month in axis],
        }
        for m in present
    ]
    option = _base(
        legend={"top": 0},
        xAxis={"type": "category", "data": axis},
        yAxis={"type": "value"},
        series=lines,
    )
    return Chart(chart_id, title, option, method or anchor(metrics[0]))


def bars(
    chart_id: str,
    title: str,
    categories: list[str],
    values: list[float],
    *,
    method: str,
    name: str = "",
    urls: list[str] | None = None,
    horizontal: bool = False,
) -> Chart:
    data: list[Any] = [
        {"value": round(v, 2), "url": urls[i]} if urls else round(v, 2)
        for i, v in enumerate(values)
    ]
    cat_axis = {"type": "category", "data": categories}
    val_axis = {"type": "value"}
    option = _base(
        xAxis=val_axis if horizontal else cat_axis,
        yAxis=({**cat_axis, "inverse": True}) if horizontal else val_axis,
        series=[{"name": name or title, "type": "bar", "data": data}],
    )
    return Chart(chart_id, title, option, method, height=max(240, 28 * len(categories) + 60))


def pie(chart_id: str, title: str, items: list[tuple[str, float, str]], *, method: str) -> Chart:
    """``items``: (label, value, colour)."""
    option = {
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0},
        "series": [
            {
                "name": title,
                "type": "pie",
                "radius": ["35%", "65%"],
                "data": [
                    {"name": name, "value": value, "itemStyle": {"color": colour}}
                    for name, value, colour in items
                    if value
                ],
            }
        ],
    }
    return Chart(chart_id, title, option, method)


def collaboration_graph(chart_id: str, title: str, network: dict[str, Any]) -> Chart:
    """Organizations as nodes (coloured by kind), developers shared as edges; 产学研 edges
    (enterprise ↔ university/institute) drawn thick and red."""
    kinds = list(KIND_COLOURS)
    weight: dict[str, float] = {}
    for edge in network["edges"]:
        for end in ("source", "target"):
            weight[edge[end]] = weight.get(edge[end], 0.0) + edge.get("developers", 0.0)
    nodes = [
        {
            "name": node["name"],
            "value": weight.get(node["name"], 0.0),
            "category": kinds.index(node["kind"]) if node["kind"] in kinds else len(kinds),
            "symbolSize": 18 + min(30.0, 4 * weight.get(node["name"], 0.0)),
            "url": f"/{node['name']}/insights",
        }
        for node in network["nodes"]
    ]
    links = [
        {
            "source": e["source"],
            "target": e["target"],
            "value": e.get("developers", 0.0),
            "lineStyle": {
                "width": 1 + min(8.0, e.get("developers", 0.0)),
                "color": "#c7000b" if e["industry_academia"] else "#8c959f",
                "type": "solid" if e["industry_academia"] else "dashed",
            },
        }
        for e in network["edges"]
    ]
    from nbopen.web.templatetags.nbopen_web import KIND_LABELS

    categories = [
        {"name": str(KIND_LABELS.get(k, k)), "itemStyle": {"color": KIND_COLOURS[k]}} for k in kinds
    ] + [{"name": _("Other"), "itemStyle": {"color": "#57606a"}}]
    option = {
        "tooltip": {},
        "legend": {"data": [c["name"] for c in categories], "top": 0},
        "series": [
            {
                "type": "graph",
                "layout": "circular" if len(nodes) < 4 else "force",
                "force": {"repulsion": 220, "edgeLength": 120},
                "roam": True,
                "label": {"show": True, "position": "right"},
                "edgeSymbol": ["none", "arrow"],
                "categories": categories,
                "data": nodes,
                "links": links,
            }
        ],
    }
    return Chart(chart_id, title, option, "collaboration", height=420)
