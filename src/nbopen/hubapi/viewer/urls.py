"""The dataset viewer's routes, declared (methods, parameters, response schemas) once here."""

from django.urls import URLPattern

from nbopen.hubapi import schemas as s
from nbopen.hubapi.routes import Param, Schema, route
from nbopen.hubapi.viewer import parquet_api, views

_PARQUET = r"^api/datasets/(?P<owner>[^/]+)/(?P<name>[^/]+)/parquet"

DATASET = Param("dataset", "owner/name of the dataset", required=True)
CONFIG = Param("config", "a config of the dataset")
SPLIT = Param("split", "a split of the config")
PAGE = (
    Param("offset", "first row (0-based)", schema={"type": "integer", "minimum": 0}),
    Param("length", "rows to return (≤ 100)", schema={"type": "integer", "minimum": 0}),
)
IN_SPLIT = (DATASET, Param("config", required=True), Param("split", required=True))


def viewer(
    pattern: str,
    view: object,
    *query: Param,
    response: Schema | None = s.ANY_OBJECT,
    summary: str | None = None,
) -> URLPattern:
    return route(
        pattern,
        view,  # type: ignore[arg-type]
        methods=("GET",),
        tag="viewer",
        query=query,
        responses={200: response},
        summary=summary,
    )


urlpatterns = [
    viewer("datasets-server/is-valid", views.is_valid, DATASET, CONFIG, SPLIT, response=s.IS_VALID),
    viewer("datasets-server/splits", views.splits, DATASET, response=s.SPLITS),
    viewer(
        "datasets-server/first-rows",
        views.first_rows,
        *IN_SPLIT,
        response=s.FIRST_ROWS,
        summary="The features and first rows of a split",
    ),
    viewer("datasets-server/rows", views.rows, *IN_SPLIT, *PAGE, response=s.ROWS),
    viewer(
        "datasets-server/search",
        views.search_view,
        *IN_SPLIT,
        Param("query", "words to find", required=True),
        *PAGE,
        response=s.ROWS,
    ),
    viewer(
        "datasets-server/filter",
        views.filter_view,
        *IN_SPLIT,
        Param("where", "a SQL-like condition (parsed, never pasted)"),
        Param("orderby", "column [ASC|DESC], …"),
        *PAGE,
        response=s.ROWS,
    ),
    viewer(
        "datasets-server/statistics",
        views.statistics,
        DATASET,
        CONFIG,
        SPLIT,
        summary="Column statistics of each split (histograms, nulls, min/max, frequencies)",
    ),
    viewer("datasets-server/parquet", views.parquet, DATASET, CONFIG, response=s.PARQUET),
    viewer(
        "datasets-server/info",
        views.info,
        DATASET,
        CONFIG,
        response=s.INFO,
        summary="Features, splits and sizes of each config (the `datasets` library's info)",
    ),
    viewer(
        "datasets-server/size",
        views.size,
        DATASET,
        CONFIG,
        response=s.SIZE,
        summary="Rows, columns and bytes of the dataset, its configs and splits",
    ),
    viewer("datasets-server/croissant", views.croissant_view, DATASET),
    viewer("datasets-server/croissant-crumbs", views.croissant_view, DATASET),
    viewer(
        "datasets-server/compare",
        views.compare,
        DATASET,
        Param("from", "the older revision"),
        Param("to", "the newer revision (default: the default branch)"),
        Param("key", "a column identifying rows"),
    ),
    viewer(
        r"^datasets-server/parquet-file/(?P<owner>[^/]+)/(?P<name>[^/]+)/(?P<revision>[0-9a-f]{40})/"
        r"(?P<config>[^/]+)/(?P<split>[^/]+)/(?P<filename>\d{4}\.parquet)\Z",
        views.parquet_file,
        response=None,
    ),
    # huggingface.co's listing of refs/convert/parquet (before the Hub API routes).
    viewer(_PARQUET + r"\Z", parquet_api.parquet_all, summary="Parquet URLs by config and split"),
    viewer(
        _PARQUET + r"/(?P<config>[^/]+)\Z",
        parquet_api.parquet_config,
        summary="Parquet URLs of one config, by split",
    ),
    viewer(
        _PARQUET + r"/(?P<config>[^/]+)/(?P<split>[^/]+)\Z",
        parquet_api.parquet_split,
        response=s.arr(s.STR),
        summary="Parquet URLs of one split",
    ),
    viewer(
        _PARQUET + r"/(?P<config>[^/]+)/(?P<split>[^/]+)/(?P<n>\d{1,6})\.parquet\Z",
        parquet_api.parquet_shard,
        response=None,
    ),
]
