"""Git LFS batch API (JSON) as Django views: batch, verify, locks/verify.

Transfers themselves go to signed URLs served by :mod:`.transfer` (or, with S3 storage,
presigned URLs for downloads), so clients that send no credentials on PUT still work.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, Level, Principal, decide_repo
from nbopen.config.env import CONFIG
from nbopen.core import signing
from nbopen.core.limits import loads as safe_json
from nbopen.core.storage import get_storage
from nbopen.hubapi.denials import LFS_JSON, Channel, denied, lfs_error, response
from nbopen.hubapi.githttp.paths import match_lfs_api
from nbopen.hubapi.hf import multipart
from nbopen.hubapi.moved import redirect_request
from nbopen.mirrors import prefetch as mirror_prefetch
from nbopen.mirrors.lookup import locate
from nbopen.repos import lfs
from nbopen.repos.models import Repository
from nbopen.repos.services import repo_find
from nbopen.xet import lfs_bridge

URL_TTL = 3600


def _resolve(
    request: HttpRequest, need: Level, content: bool = False
) -> tuple[Principal, Repository] | HttpResponse:
    path = match_lfs_api(request.path)
    if path is None:
        return lfs_error(404, "Not found")
    principal = principal_from_request(request)  # bad credentials: the route answers 401
    want = Repository.Type.DATASET if path.dataset_prefix else None
    found = locate(principal, path.owner, path.name, want, need)
    if found.moved_to is not None:
        went = redirect_request(request, found.moved_to, path.owner, path.name)
        return response(Channel.LFS, went)
    repo = found.repo
    decision = decide_repo(principal, repo, need, content=content)
    if decision is not Decision.ALLOW or repo is None:
        return denied(decision, Channel.LFS, repo)
    return principal, repo


def _json_body(request: HttpRequest) -> Any:
    try:
        return safe_json(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise lfs.InvalidObject(f"request body is not valid JSON: {exc}") from exc


def transfer_url(repo: Repository, oid: str, size: int, op: str, user_id: int | None) -> str:
    query = signing.sign(
        {"op": op, "repo": repo.pk, "oid": oid, "size": size, "uid": user_id or 0}, ttl=URL_TTL
    )
    return f"{CONFIG.public_url}/lfs-objects/{repo.pk}/{oid}?{query}"


def verify_url(repo: Repository, user_id: int | None) -> str:
    """Signed, because the Hub client's verify call may be the only one carrying no token."""
    prefix = "datasets/" if repo.type == Repository.Type.DATASET else ""
    query = signing.sign({"op": "verify", "repo": repo.pk, "uid": user_id or 0}, ttl=URL_TTL)
    return f"{CONFIG.public_url}/{prefix}{repo.full_name}.git/info/lfs/objects/verify?{query}"


def _one_per_oid(objects: list[lfs.ObjectSpec]) -> list[lfs.ObjectSpec]:
    """The request's objects with each oid once (the Hub client sends one per file, so two
    identical files in a commit are one object; answering twice made it upload twice)."""
    first: dict[str, lfs.ObjectSpec] = {}
    for obj in objects:
        seen = first.setdefault(obj.oid, obj)
        if seen.size != obj.size:
            raise lfs.InvalidObject(f"object {obj.oid} is listed with two different sizes")
    return list(first.values())


def _mirror_action(request: HttpRequest, repo: Repository, sha: str, path: str) -> dict[str, Any]:
    """A cold object of a pull-through mirror is downloaded from the file's resolve URL,
    which fetches it from the upstream while streaming and storing it (ADR 0022), under the
    client's own credentials (the same origin: a private mirror needs them)."""
    prefix = "datasets/" if repo.type == Repository.Type.DATASET else ""
    action: dict[str, Any] = {
        "href": f"{CONFIG.public_url}/{prefix}{repo.full_name}/resolve/{sha}/{quote(path)}",
        "expires_in": URL_TTL,
    }
    authorization = request.headers.get("Authorization")
    if authorization:
        action["header"] = {"Authorization": authorization}
    return action


@csrf_exempt
def batch(request: HttpRequest) -> HttpResponse:
    try:
        body = _json_body(request)
        if not isinstance(body, dict):
            raise lfs.InvalidObject("request body must be a JSON object")
        operation = body.get("operation")
        if operation not in {"upload", "download"}:
            raise lfs.InvalidObject("'operation' must be 'upload' or 'download'")
        objects = _one_per_oid(lfs.parse_objects(body.get("objects")))
    except lfs.InvalidObject as exc:
        return lfs_error(422, str(exc))
    transfers = body.get("transfers") or ["basic"]
    if not isinstance(transfers, list) or "basic" not in transfers:
        return lfs_error(422, "only the 'basic' transfer adapter is supported")
    resolved = _resolve(request, Level.WRITE if operation == "upload" else Level.READ, content=True)
    if isinstance(resolved, HttpResponse):
        return resolved
    principal, repo = resolved
    user_id = principal.user.pk if principal.user is not None else None
    linked = lfs.linked_sizes(repo, [o.oid for o in objects])
    storage = get_storage()
    cold: dict[str, tuple[str, str]] | None = None  # a mirror's objects not fetched yet
    results: list[dict[str, Any]] = []
    for obj in objects:
        entry: dict[str, Any] = {"oid": obj.oid, "size": obj.size, "authenticated": True}
        present = obj.oid in linked and linked[obj.oid] == obj.size
        in_storage = present and storage.size(obj.oid) is not None
        if present and not in_storage and lfs_bridge.backing_file(repo.pk, obj.oid) is None:
            present = False  # referenced but lost from storage: ask for it again
        if operation == "download":
            if not present:
                if cold is None:
                    missing = [o.oid for o in objects if linked.get(o.oid) != o.size]
                    cold = mirror_prefetch.cold_files(repo, missing)
                if obj.oid in cold:
                    entry["actions"] = {"download": _mirror_action(request, repo, *cold[obj.oid])}
                else:
                    entry["error"] = {"code": 404, "message": "Object does not exist"}
            else:
                # Xet-backed objects are reconstructed by our own transfer route.
                direct = storage.download_url(obj.oid, expires=URL_TTL) if in_storage else None
                href = direct or transfer_url(repo, obj.oid, obj.size, "download", user_id)
                entry["actions"] = {"download": {"href": href, "expires_in": URL_TTL}}
        elif not present:
            entry["actions"] = {
                "upload": {
                    "href": transfer_url(repo, obj.oid, obj.size, "upload", user_id),
                    "expires_in": URL_TTL,
                },
                "verify": {"href": verify_url(repo, user_id), "expires_in": URL_TTL},
            }
            if multipart.wants_multipart(transfers, obj.size):  # Hub client, large object
                entry["actions"]["upload"] = multipart.upload_actions(
                    repo, obj.oid, obj.size, user_id
                )
        results.append(entry)
    return JsonResponse(
        {"transfer": "basic", "objects": results, "hash_algo": "sha256"},
        content_type=LFS_JSON,
    )


def _signed_verify_repo(request: HttpRequest) -> Repository | None:
    """The repository a valid signed verify URL names (and the path agrees with), else None."""
    query = {k: request.GET[k] for k in request.GET}
    repo_id = query.get("repo", "")
    if "sig" not in query or not repo_id.isdigit():
        return None
    if not signing.verify(query, {"op": "verify", "repo": repo_id, "uid": query.get("uid", "")}):
        return None
    path = match_lfs_api(request.path)
    repo = Repository.objects.select_related("owner").filter(pk=int(repo_id)).first()
    if repo is None or path is None:
        return None
    want = Repository.Type.DATASET if path.dataset_prefix else None
    if repo_find(path.owner, path.name, want or repo.type) != repo:
        return None
    return repo


@csrf_exempt
def verify(request: HttpRequest) -> HttpResponse:
    try:
        body = _json_body(request)
        if not isinstance(body, dict):
            raise lfs.InvalidObject("request body must be a JSON object")
        (spec,) = lfs.parse_objects([body])
    except lfs.InvalidObject as exc:
        return lfs_error(422, str(exc))
    repo = _signed_verify_repo(request)
    if repo is None:
        resolved = _resolve(request, Level.WRITE)
        if isinstance(resolved, HttpResponse):
            return resolved
        _, repo = resolved
    if not lfs.is_linked(repo, spec.oid, spec.size):
        return lfs_error(404, f"Object {spec.oid} was not uploaded to this repository")
    return JsonResponse({"message": "ok"}, content_type=LFS_JSON)


@csrf_exempt
def locks(request: HttpRequest) -> HttpResponse:
    """NBopen has no file locking: verify answers "no locks", the rest 501 (clients cope)."""
    resolved = _resolve(request, Level.WRITE if request.method == "POST" else Level.READ)
    if isinstance(resolved, HttpResponse):
        return resolved
    if request.method == "POST" and request.path.endswith("/locks/verify"):
        return JsonResponse({"ours": [], "theirs": []}, content_type=LFS_JSON)
    if request.method == "GET":
        return JsonResponse({"locks": []}, content_type=LFS_JSON)
    return lfs_error(501, "File locking is not supported by this server")
