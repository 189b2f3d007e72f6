from django.urls import path, re_path

from nbopen.hubapi.viewer import parquet_api, views

_PARQUET = r"^api/datasets/(?P<owner>[^/]+)/(?P<name>[^/]+)/parquet"

urlpatterns = [
    path("datasets-server/is-valid", views.is_valid),
    path("datasets-server/splits", views.splits),
    path("datasets-server/first-rows", views.first_rows),
    path("datasets-server/rows", views.rows),
    path("datasets-server/search", views.search_view),
    path("datasets-server/filter", views.filter_view),
    path("datasets-server/statistics", views.statistics),
    path("datasets-server/parquet", views.parquet),
    path("datasets-server/info", views.info),
    path("datasets-server/size", views.size),
    path("datasets-server/croissant", views.croissant_view),
    path("datasets-server/croissant-crumbs", views.croissant_view),
    path("datasets-server/compare", views.compare),
    re_path(
        r"^datasets-server/parquet-file/(?P<owner>[^/]+)/(?P<name>[^/]+)/(?P<revision>[0-9a-f]{40})/"
        r"(?P<config>[^/]+)/(?P<split>[^/]+)/(?P<filename>\d{4}\.parquet)\Z",
        views.parquet_file,
    ),
    # huggingface.co's listing of refs/convert/parquet (before the Hub API routes).
    re_path(_PARQUET + r"\Z", parquet_api.parquet_all),
    re_path(_PARQUET + r"/(?P<config>[^/]+)\Z", parquet_api.parquet_config),
    re_path(_PARQUET + r"/(?P<config>[^/]+)/(?P<split>[^/]+)\Z", parquet_api.parquet_split),
    re_path(
        _PARQUET + r"/(?P<config>[^/]+)/(?P<split>[^/]+)/(?P<n>\d{1,6})\.parquet\Z",
        parquet_api.parquet_shard,
    ),
]
