"""SSH keys in Gitea's API: ``/api/v1/user/keys[/{id}]`` and
``/api/v1/repos/{owner}/{repo}/keys[/{id}]`` (deploy keys).

The JSON shapes are Gitea's (``PublicKey`` and ``DeployKey``: ``id``, ``key``, ``url``,
``title``, ``fingerprint``, ``created_at``, ``read_only``, ``key_type``), so Gitea's clients
(tea, the Terraform provider, scripts) work unchanged; ``last_used_at`` is ours. As on Gitea,
``POST`` takes ``{"title", "key", "read_only"?}`` and answers 201, ``DELETE`` answers 204,
and a key that is not valid or already in use is 422.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Decision, Level, decide_repo, may_manage_ssh_keys
from nbopen.accounts import sshkeys
from nbopen.accounts.models import SSHKey
from nbopen.config.env import CONFIG
from nbopen.core.errors import AlreadyExists, DomainError, InvalidInput
from nbopen.core.limits import BadBody, loads_object
from nbopen.hubapi import moved
from nbopen.hubapi.errors import api_error, domain_error
from nbopen.repos import deploy_keys, services
from nbopen.repos.models import DeployKey, Repository


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def user_key_json(row: SSHKey) -> dict[str, Any]:
    return {
        "id": row.pk,
        "key": row.key,
        "url": f"{CONFIG.public_url}/api/v1/user/keys/{row.pk}",
        "title": row.title,
        "fingerprint": row.fingerprint,
        "created_at": _when(row.created_at),
        "last_used_at": _when(row.last_used_at),
        "read_only": False,
        "key_type": "user",
    }


def deploy_key_json(row: DeployKey, repo: Repository) -> dict[str, Any]:
    return {
        "id": row.pk,
        "key_id": row.pk,
        "key": row.key,
        "url": f"{CONFIG.public_url}/api/v1/repos/{repo.full_name}/keys/{row.pk}",
        "title": row.title,
        "fingerprint": row.fingerprint,
        "created_at": _when(row.created_at),
        "last_used_at": _when(row.last_used_at),
        "read_only": row.read_only,
        "key_type": "deploy",
    }


def _body(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    try:
        body = loads_object(request.body)
    except BadBody as exc:
        return api_error(exc.status, str(exc))
    if not isinstance(body.get("key"), str):
        return api_error(422, "key is required")
    if not isinstance(body.get("title", ""), str) or not isinstance(
        body.get("read_only", True), bool
    ):
        return api_error(422, "title must be a string and read_only a boolean")
    return body


def _refused(exc: DomainError) -> JsonResponse:
    if isinstance(exc, (InvalidInput, AlreadyExists)):
        return api_error(422, str(exc))
    return domain_error(exc)


@csrf_exempt
def user_keys(request: HttpRequest, key_id: int | None = None) -> HttpResponse:
    """The signed-in user's SSH keys: list (GET), add (POST), one key (GET), remove (DELETE).

    git over SSH (``nbopen serve --ssh-port``) acts as the key's user."""
    principal = principal_from_request(request)
    write = request.method in ("POST", "DELETE")
    if not may_manage_ssh_keys(principal, write=write):
        status = 401 if not principal.is_authenticated else 403
        return api_error(status, "Sign in (or use a write token) to manage your SSH keys")
    assert principal.user is not None
    user = principal.user
    try:
        if key_id is not None:
            if request.method == "DELETE":
                sshkeys.ssh_key_delete(user=user, key_id=key_id)
                return HttpResponse(status=204)
            return JsonResponse(user_key_json(sshkeys.ssh_key_get(user=user, key_id=key_id)))
        if request.method == "GET":
            rows = [user_key_json(row) for row in sshkeys.ssh_keys_of(user)]
            return JsonResponse(rows, safe=False)
        body = _body(request)
        if isinstance(body, JsonResponse):
            return body
        row = sshkeys.ssh_key_add(user=user, title=body.get("title", ""), key=body["key"])
        return JsonResponse(user_key_json(row), status=201)
    except DomainError as exc:
        return _refused(exc)


@csrf_exempt
def repo_keys(
    request: HttpRequest, owner: str, name: str, key_id: int | None = None
) -> HttpResponse:
    """A repository's deploy keys (admin on it): list (GET), add (POST), one (GET), remove
    (DELETE).

    A deploy key reads (or, with ``"read_only": false``, also pushes to) this repository
    over SSH and nothing else. ``?type=dataset`` names the dataset when a model of the same
    name exists."""
    principal = principal_from_request(request)
    want = services.type_param(request.GET.get("type"))
    repo = services.repo_find(owner, name, want)
    decision = decide_repo(principal, repo, Level.ADMIN)
    if decision is not Decision.ALLOW or repo is None:
        return moved.refusal(request, principal, repo is None, owner, name, want, decision)
    try:
        if key_id is not None:
            if request.method == "DELETE":
                deploy_keys.deploy_key_delete(actor=principal.user, repo=repo, key_id=key_id)
                return HttpResponse(status=204)
            row = deploy_keys.deploy_key_get(repo=repo, key_id=key_id)
            return JsonResponse(deploy_key_json(row, repo))
        if request.method == "GET":
            rows = [deploy_key_json(row, repo) for row in deploy_keys.deploy_keys_of(repo)]
            return JsonResponse(rows, safe=False)
        body = _body(request)
        if isinstance(body, JsonResponse):
            return body
        row = deploy_keys.deploy_key_add(
            actor=principal.user,
            repo=repo,
            title=body.get("title", ""),
            key=body["key"],
            read_only=body.get("read_only", True),
        )
        return JsonResponse(deploy_key_json(row, repo), status=201)
    except DomainError as exc:
        return _refused(exc)
