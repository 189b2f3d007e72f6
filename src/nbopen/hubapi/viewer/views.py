"""The dataset viewer API under ``/datasets-server/``, shaped like Hugging Face's.

Every endpoint takes ``dataset=owner/name`` (and ``config``/``split`` where the Hub does),
asks the permission policy first (private datasets answer 401 to anonymous callers and 404
to signed-in non-readers, exactly as for an unknown dataset), then reads what the
conversion job produced. While a conversion runs, endpoints that need its result answer
503 ``ResponseNotReady`` with ``Retry-After``; a split that failed to convert answers 422
with the converter's message (file, line, reason).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import duckdb
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, decide_content
from nbopen.datasets import croissant, images, services, storage, versioning
from nbopen.datasets.deadline import QueryTimeout
from nbopen.datasets.features import clip_strings, fit_page, rows_from_table
from nbopen.datasets.models import Conversion, SplitResult
from nbopen.datasets.query import MAX_LENGTH, filter_rows, read_indices, read_range
from nbopen.datasets.search import search
from nbopen.datasets.wherelang import FilterError
from nbopen.hubapi.denials import repo_denied
from nbopen.hubapi.errors import api_error
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_find


class Problem(Exception):
    def __init__(self, response: HttpResponseBase) -> None:
        self.response = response


def _not_ready() -> HttpResponse:
    response = api_error(
        503, "The response is not ready yet. Please retry later.", "ResponseNotReady"
    )
    response["Retry-After"] = "1"
    return response


def _dataset(request: HttpRequest, name: str | None = None) -> Repository:
    """The readable dataset named by ``?dataset=``, or a Problem with the policy's answer."""
    name = request.GET.get("dataset", "") if name is None else name
    owner, sep, repo_name = name.partition("/")
    if not sep or not owner or not repo_name or "/" in repo_name:
        raise Problem(
            api_error(
                422, "Parameter 'dataset' is required: owner/name", "MissingRequiredParameter"
            )
        )
    principal = principal_from_request(request)
    repo = repo_find(owner, repo_name, Repository.Type.DATASET)
    if repo is not None and repo.type != Repository.Type.DATASET:
        repo = None
    decision = decide_content(principal, repo)  # rows are contents: a gated dataset's gate applies
    if decision is not Decision.ALLOW or repo is None:
        raise Problem(
            repo_denied(decision if decision is not Decision.ALLOW else Decision.NOT_FOUND, repo)
        )
    return repo


def _conversion(repo: Repository) -> Conversion:
    conversion = services.current_conversion(repo)
    if conversion is None:
        raise Problem(
            api_error(404, "The dataset has no data files (empty repository).", "EmptyDatasetError")
        )
    return conversion


def _done_conversion(repo: Repository) -> Conversion:
    conversion = _conversion(repo)
    if conversion.status in {Conversion.Status.PENDING, Conversion.Status.RUNNING}:
        raise Problem(_not_ready())
    if conversion.status == Conversion.Status.FAILED:
        raise Problem(api_error(422, conversion.error, "DatasetGenerationError"))
    return conversion


def _split(request: HttpRequest, repo: Repository) -> SplitResult:
    config = request.GET.get("config")
    split = request.GET.get("split")
    if not config or not split:
        raise Problem(
            api_error(
                422, "Parameters 'config' and 'split' are required", "MissingRequiredParameter"
            )
        )
    conversion = _conversion(repo)
    if conversion.status == Conversion.Status.FAILED and not conversion.splits.exists():
        raise Problem(api_error(422, conversion.error, "DatasetGenerationError"))
    result = conversion.splits.filter(config=config, split=split).first()
    if result is None:
        if conversion.status in {Conversion.Status.PENDING, Conversion.Status.RUNNING}:
            raise Problem(_not_ready())
        raise Problem(api_error(404, "Not found.", "ResponseNotFound"))
    if result.status == SplitResult.Status.PENDING:
        raise Problem(_not_ready())
    if result.status == SplitResult.Status.FAILED:
        raise Problem(api_error(422, result.error, "DatasetGenerationError"))
    return result


def _int_param(request: HttpRequest, name: str, default: int, lo: int, hi: int | None) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Problem(
            api_error(422, f"Parameter '{name}' must be an integer", "InvalidParameter")
        ) from None
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise Problem(api_error(422, f"Parameter '{name}' must be {bound}", "InvalidParameter"))
    return value


def endpoint(fn: Any) -> Any:
    """A :class:`Problem` raised by the view becomes its response (methods and bad
    credentials are answered by the route declaration, viewer/urls.py)."""

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return fn(request, *args, **kwargs)
        except Problem as problem:
            return problem.response

    view.__name__ = fn.__name__
    view.__doc__ = fn.__doc__
    return view


def _ids(repo: Repository, split: SplitResult) -> dict[str, str]:
    return {"dataset": repo.full_name, "config": split.config, "split": split.split}


def _done_splits(conversion: Conversion) -> list[SplitResult]:
    return list(conversion.splits.filter(status=SplitResult.Status.DONE))


def _pending_failed(
    repo: Repository, conversion: Conversion
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    pending: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    splits = list(conversion.splits.all())
    for s in splits:
        if s.status == SplitResult.Status.PENDING:
            pending.append({**_ids(repo, s), "progress": round(conversion.progress, 3)})
        elif s.status == SplitResult.Status.FAILED:
            failed.append({**_ids(repo, s), "error": s.error})
    running = conversion.status in {Conversion.Status.PENDING, Conversion.Status.RUNNING}
    if running and not pending:
        # Splits known and converted, dataset-level steps (version, manifest) still running.
        pending.append(
            {
                "dataset": repo.full_name,
                "config": None,
                "split": None,
                "progress": round(conversion.progress, 3),
            }
        )
    if not splits and conversion.status == Conversion.Status.FAILED:
        failed.append(
            {
                "dataset": repo.full_name,
                "config": None,
                "split": None,
                "error": conversion.error,
            }
        )
    return pending, failed


@endpoint
def is_valid(request: HttpRequest) -> HttpResponseBase:
    """Which viewer features work for the dataset (or one config/split)."""
    repo = _dataset(request)
    conversion = _conversion(repo)
    splits = _done_splits(conversion)
    if config := request.GET.get("config"):
        splits = [s for s in splits if s.config == config]
    if split_name := request.GET.get("split"):
        splits = [s for s in splits if s.split == split_name]
    return JsonResponse(
        {
            "preview": any(s.first_rows for s in splits),
            "viewer": bool(splits),
            "search": any(s.search_ready for s in splits),
            "filter": bool(splits),
            "statistics": any(s.statistics is not None for s in splits),
        }
    )


@endpoint
def splits(request: HttpRequest) -> HttpResponseBase:
    """Configs and splits, with what is still converting and what failed (and why)."""
    repo = _dataset(request)
    conversion = _conversion(repo)
    pending, failed = _pending_failed(repo, conversion)
    return JsonResponse(
        {
            "splits": [_ids(repo, s) for s in _done_splits(conversion)],
            "pending": pending,
            "failed": failed,
        }
    )


@endpoint
def first_rows(request: HttpRequest) -> HttpResponseBase:
    repo = _dataset(request)
    split = _split(request, repo)
    body = {**_ids(repo, split), **split.first_rows}
    body["rows"] = _image_cells(
        request, split, [dict(r, row=dict(r["row"])) for r in body.get("rows", [])]
    )
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _image_cells(
    request: HttpRequest, split: SplitResult, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Image columns as the Hub's viewer gives them: ``{"src": url}`` of the image at the
    converted revision (the rows store the image's repository path)."""
    names = [f["name"] for f in split.features if images.is_image_feature(f.get("type"))]
    if not names:
        return rows
    conversion = split.conversion
    base = request.build_absolute_uri(
        f"/datasets/{conversion.repository.full_name}/resolve/{conversion.revision}/"
    )
    for row in rows:
        for name in names:
            value = row["row"].get(name)
            if isinstance(value, str):
                row["row"][name] = {"src": base + quote(value), "path": value}
    return rows


def _page(
    request: HttpRequest, split: SplitResult, rows: list[dict[str, Any]], total: int
) -> JsonResponse:
    return JsonResponse(
        {
            "features": split.features,
            "rows": fit_page(_image_cells(request, split, rows)),
            "num_rows_total": total,
            "num_rows_per_page": MAX_LENGTH,
            "partial": split.partial,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@endpoint
def rows(request: HttpRequest) -> HttpResponseBase:
    """``length`` (≤ 100) rows from ``offset``, read from the Parquet row groups."""
    repo = _dataset(request)
    split = _split(request, repo)
    offset = _int_param(request, "offset", 0, 0, None)
    length = _int_param(request, "length", MAX_LENGTH, 0, MAX_LENGTH)
    table = read_range(services.split_files(split), offset, length) if length else None
    return _page(
        request, split, rows_from_table(table, offset) if table is not None else [], split.num_rows
    )


@endpoint
def search_view(request: HttpRequest) -> HttpResponseBase:
    """Rows whose text columns contain every word of ``query`` (Chinese segmented)."""
    repo = _dataset(request)
    split = _split(request, repo)
    query = request.GET.get("query", "")
    if not query.strip():
        return api_error(422, "Parameter 'query' is required", "MissingRequiredParameter")
    if len(query) > 1000:
        return api_error(422, "Parameter 'query' is too long", "InvalidParameter")
    if not split.search_ready:
        return api_error(
            422,
            "Full-text search is not available for this split"
            " (no text columns, or the index is not built)",
            "SearchNotAvailable",
        )
    offset = _int_param(request, "offset", 0, 0, None)
    length = _int_param(request, "length", MAX_LENGTH, 0, MAX_LENGTH)
    try:
        ids, total = search(services.search_index_path(split), query, offset=offset, length=length)
    except QueryTimeout as exc:
        return _timeout(exc)
    table = read_indices(services.split_files(split), ids)
    return _page(request, split, rows_from_table(table, ids), total)


@endpoint
def filter_view(request: HttpRequest) -> HttpResponseBase:
    """Rows matching ``where``, sorted by ``orderby``; both parsed and checked, never pasted."""
    repo = _dataset(request)
    split = _split(request, repo)
    where = request.GET.get("where") or None
    orderby = request.GET.get("orderby") or None
    if where is None and orderby is None:
        return api_error(
            422, "Parameter 'where' or 'orderby' is required", "MissingRequiredParameter"
        )
    offset = _int_param(request, "offset", 0, 0, None)
    length = _int_param(request, "length", MAX_LENGTH, 0, MAX_LENGTH)
    columns = [f["name"] for f in split.features]
    try:
        found, total = filter_rows(
            services.split_files(split),
            columns,
            where=where,
            orderby=orderby,
            offset=offset,
            length=length,
        )
    except FilterError as exc:
        return api_error(400, f"Invalid filter: {exc}", "InvalidParameter")
    except QueryTimeout as exc:
        return _timeout(exc)
    return _page(request, split, found, total)


def _timeout(exc: QueryTimeout) -> HttpResponseBase:
    """504: the query was stopped at its time budget (``NBOPEN_DATASET_QUERY_SECONDS``)."""
    return api_error(
        504,
        f"The query took longer than {exc.seconds:g} s and was stopped; narrow it down",
        "QueryTimeout",
    )


@endpoint
def statistics(request: HttpRequest) -> HttpResponseBase:
    repo = _dataset(request)
    split = _split(request, repo)
    if split.statistics is None:
        return api_error(
            422, "Statistics could not be computed for this split", "StatisticsNotAvailable"
        )
    # Clipped again on the way out: statistics stored before strings were clipped.
    return JsonResponse(clip_strings(split.statistics), json_dumps_params={"ensure_ascii": False})


def _selected(request: HttpRequest, conversion: Conversion) -> list[SplitResult]:
    chosen = _done_splits(conversion)
    if config := request.GET.get("config"):
        chosen = [s for s in chosen if s.config == config]
    if split_name := request.GET.get("split"):
        chosen = [s for s in chosen if s.split == split_name]
    return chosen


@endpoint
def parquet(request: HttpRequest) -> HttpResponseBase:
    """The Parquet files of each config/split, with URLs served by :func:`parquet_file`."""
    repo = _dataset(request)
    conversion = _done_conversion(repo)
    pending, failed = _pending_failed(repo, conversion)
    files = [
        {
            **_ids(repo, s),
            "url": croissant.parquet_url(repo, conversion.revision, s, f["filename"]),
            "filename": f["filename"],
            "size": f["size"],
        }
        for s in _selected(request, conversion)
        for f in s.files
    ]
    return JsonResponse(
        {"parquet_files": files, "pending": pending, "failed": failed, "partial": False}
    )


@endpoint
def parquet_file(
    request: HttpRequest,
    owner: str,
    name: str,
    revision: str,
    config: str,
    split: str,
    filename: str,
) -> HttpResponseBase:
    """One converted Parquet file (policy-checked like everything else)."""
    repo = _dataset(request, f"{owner}/{name}")
    result = (
        SplitResult.objects.filter(
            conversion__repository=repo,
            conversion__revision=revision,
            config=unquote(config),
            split=unquote(split),
            status=SplitResult.Status.DONE,
        )
        .select_related("conversion")
        .first()
    )
    if result is None or filename not in {f["filename"] for f in result.files}:
        return api_error(404, "Not found.", "ResponseNotFound")
    path: Path = storage.split_dir(repo.pk, revision, result.config, result.split) / filename
    if not path.exists():
        return api_error(404, "Not found.", "ResponseNotFound")
    return FileResponse(
        open(path, "rb"), content_type="application/vnd.apache.parquet", filename=filename
    )


def _split_info(repo: Repository, s: SplitResult) -> dict[str, Any]:
    return {
        "name": s.split,
        "num_bytes": s.bytes_memory,
        "num_examples": s.num_rows,
        "dataset_name": repo.name,
    }


def _config_info(
    repo: Repository, conversion: Conversion, config: str, chosen: list[SplitResult]
) -> dict[str, Any]:
    card = conversion.manifest.get("card", {})
    lic = card.get("license", "")
    return {
        "description": repo.description,
        "citation": "",
        "homepage": "",
        "license": lic if isinstance(lic, str) else ",".join(map(str, lic)),
        "features": {f["name"]: f["type"] for f in chosen[0].features},
        "builder_name": "parquet",
        "dataset_name": repo.name,
        "config_name": config,
        "version": {
            "version_str": conversion.version or "1.0.0",
            "major": 0,
            "minor": 0,
            "patch": 0,
        }
        | _semver(conversion.version),
        "splits": {s.split: _split_info(repo, s) for s in chosen},
        "download_size": sum(s.bytes_parquet for s in chosen),
        "dataset_size": sum(s.bytes_memory for s in chosen),
    }


def _semver(version: str) -> dict[str, int]:
    try:
        major, minor, patch = (int(p) for p in (version or "1.0.0").split("."))
    except ValueError:
        return {}
    return {"major": major, "minor": minor, "patch": patch}


def _by_config(chosen: list[SplitResult]) -> dict[str, list[SplitResult]]:
    grouped: dict[str, list[SplitResult]] = {}
    for s in chosen:
        grouped.setdefault(s.config, []).append(s)
    return grouped


@endpoint
def info(request: HttpRequest) -> HttpResponseBase:
    repo = _dataset(request)
    conversion = _done_conversion(repo)
    pending, failed = _pending_failed(repo, conversion)
    grouped = _by_config(_selected(request, conversion))
    config = request.GET.get("config")
    if config:
        if config not in grouped:
            return api_error(404, "Not found.", "ResponseNotFound")
        return JsonResponse(
            {
                "dataset_info": _config_info(repo, conversion, config, grouped[config]),
                "partial": False,
            },
            json_dumps_params={"ensure_ascii": False},
        )
    return JsonResponse(
        {
            "dataset_info": {c: _config_info(repo, conversion, c, ss) for c, ss in grouped.items()},
            "pending": pending,
            "failed": failed,
            "partial": False,
        },
        json_dumps_params={"ensure_ascii": False},
    )


@endpoint
def size(request: HttpRequest) -> HttpResponseBase:
    repo = _dataset(request)
    conversion = _done_conversion(repo)
    pending, failed = _pending_failed(repo, conversion)
    grouped = _by_config(_selected(request, conversion))
    config = request.GET.get("config")
    if config and config not in grouped:
        return api_error(404, "Not found.", "ResponseNotFound")
    configs = []
    for name, ss in grouped.items():
        configs.append(
            {
                "dataset": repo.full_name,
                "config": name,
                "num_bytes_original_files": sum(s.bytes_original for s in ss),
                "num_bytes_parquet_files": sum(s.bytes_parquet for s in ss),
                "num_bytes_memory": sum(s.bytes_memory for s in ss),
                "num_rows": sum(s.num_rows for s in ss),
                "num_columns": ss[0].num_columns,
            }
        )
    split_sizes = [
        {
            **_ids(repo, s),
            "num_bytes_parquet_files": s.bytes_parquet,
            "num_bytes_memory": s.bytes_memory,
            "num_rows": s.num_rows,
            "num_columns": s.num_columns,
        }
        for ss in grouped.values()
        for s in ss
    ]
    if config:
        body: dict[str, Any] = {"config": configs[0], "splits": split_sizes}
    else:
        original = sum(f["size"] for f in conversion.manifest.get("files", []))
        body = {
            "dataset": {
                "dataset": repo.full_name,
                "num_bytes_original_files": original,
                "num_bytes_parquet_files": sum(c["num_bytes_parquet_files"] for c in configs),
                "num_bytes_memory": sum(c["num_bytes_memory"] for c in configs),
                "num_rows": sum(c["num_rows"] for c in configs),
            },
            "configs": configs,
            "splits": split_sizes,
        }
    return JsonResponse({"size": body, "pending": pending, "failed": failed, "partial": False})


@endpoint
def croissant_view(request: HttpRequest) -> HttpResponseBase:
    """Croissant 1.1 JSON-LD, sha256 on every file, semantic version by the Croissant rule."""
    repo = _dataset(request)
    conversion = _done_conversion(repo)
    doc = croissant.build(repo, conversion, _done_splits(conversion))
    response = JsonResponse(doc, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = croissant.MEDIA_TYPE
    return response


def _finished(conversion: Conversion | None, rev: str) -> Conversion:
    if conversion is None:
        raise Problem(api_error(404, f"Revision {rev!r} not found", "RevisionNotFound"))
    if conversion.status in {Conversion.Status.PENDING, Conversion.Status.RUNNING}:
        raise Problem(_not_ready())
    if conversion.status == Conversion.Status.FAILED:
        raise Problem(api_error(422, conversion.error, "DatasetGenerationError"))
    return conversion


@endpoint
def compare(request: HttpRequest) -> HttpResponseBase:
    """NBopen extension for the versions tab: what changed between two revisions.

    ``to`` defaults to the default branch, ``from`` to the conversion before it; ``key``
    names a column identifying records, to count added/removed/changed keyed rows.
    """
    repo = _dataset(request)
    to_rev = request.GET.get("to") or repo.default_branch
    new = _finished(services.conversion_at(repo, to_rev), to_rev)
    from_rev = request.GET.get("from")
    if from_rev:
        old = _finished(services.conversion_at(repo, from_rev), from_rev)
    else:
        previous = services.previous_conversion(new)
        if previous is None:
            return api_error(
                404, "No earlier converted revision to compare with", "RevisionNotFound"
            )
        old = previous
    key = request.GET.get("key") or None
    try:
        body = versioning.diff(old, new, key=key)
    except (duckdb.Error, OSError):
        return api_error(410, "The outputs of that revision are no longer kept", "RevisionGone")
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})
