"""The Hub's ``/api/datasets/{id}/parquet`` listing of ``refs/convert/parquet``.

huggingface.co answers ``{config: {split: [url, …]}}`` (narrowed by ``/{config}`` and
``/{config}/{split}``), where each URL is ``…/parquet/{config}/{split}/{n}.parquet`` and
redirects to the file on the ``refs/convert/parquet`` revision. We list the ref's tree, so
the answer is exactly what a Hub client can download from that revision. The dataset is
policy-checked first, like every viewer endpoint.
"""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase

from nbopen.config.env import CONFIG
from nbopen.datasets.parquet_ref import PARQUET_REF, published
from nbopen.hubapi.errors import api_error
from nbopen.hubapi.viewer.views import Problem, _dataset, endpoint
from nbopen.repos.git.read import ls_tree
from nbopen.repos.models import Repository


def _files(repo: Repository) -> dict[str, dict[str, list[str]]] | None:
    """config → split → Parquet paths on the ref (sorted), or None when nothing is published."""
    sha = published(repo.git_path)
    if sha is None:
        return None
    out: dict[str, dict[str, list[str]]] = {}
    for entry in ls_tree(repo.git_path, sha, recursive=True):
        parts = entry.path.split("/")
        if entry.type == "blob" and len(parts) == 3 and parts[2].endswith(".parquet"):
            out.setdefault(parts[0], {}).setdefault(parts[1], []).append(entry.path)
    for splits in out.values():
        for paths in splits.values():
            paths.sort()
    return out


def _api_url(repo: Repository, config: str, split: str, n: int) -> str:
    return (
        f"{CONFIG.public_url}/api/datasets/{repo.full_name}/parquet/"
        f"{quote(config, safe='')}/{quote(split, safe='')}/{n}.parquet"
    )


Listing = dict[str, dict[str, list[str]]]


def _listing(request: HttpRequest, owner: str, name: str) -> tuple[Repository, Listing]:
    repo = _dataset(request, f"{owner}/{name}")
    files = _files(repo)
    if files is None:
        raise Problem(api_error(404, "No parquet files published for this dataset yet."))
    return repo, files


@endpoint
def parquet_all(request: HttpRequest, owner: str, name: str) -> HttpResponseBase:
    repo, files = _listing(request, owner, name)
    body = {
        config: {
            split: [_api_url(repo, config, split, n) for n in range(len(paths))]
            for split, paths in splits.items()
        }
        for config, splits in files.items()
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@endpoint
def parquet_config(request: HttpRequest, owner: str, name: str, config: str) -> HttpResponseBase:
    repo, files = _listing(request, owner, name)
    if config not in files:
        return api_error(404, f"Config {config!r} not found")
    body = {
        split: [_api_url(repo, config, split, n) for n in range(len(paths))]
        for split, paths in files[config].items()
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@endpoint
def parquet_split(
    request: HttpRequest, owner: str, name: str, config: str, split: str
) -> HttpResponseBase:
    repo, files = _listing(request, owner, name)
    paths = files.get(config, {}).get(split)
    if paths is None:
        return api_error(404, f"Split {config}/{split} not found")
    return JsonResponse([_api_url(repo, config, split, n) for n in range(len(paths))], safe=False)


@endpoint
def parquet_shard(
    request: HttpRequest, owner: str, name: str, config: str, split: str, n: str
) -> HttpResponseBase:
    """Redirect to the shard's download on the ``refs/convert/parquet`` revision."""
    repo, files = _listing(request, owner, name)
    paths = files.get(config, {}).get(split, [])
    index = int(n)
    if index >= len(paths):
        return api_error(404, "Parquet file not found")
    return HttpResponseRedirect(
        f"{CONFIG.public_url}/datasets/{repo.full_name}/resolve/"
        f"{quote(PARQUET_REF, safe='')}/{quote(paths[index])}"
    )
