from django.urls import include, path

from nbopen.hubapi import openapi
from nbopen.hubapi import schemas as s
from nbopen.hubapi.api import repos
from nbopen.hubapi.denials import Channel
from nbopen.hubapi.githttp import lfs_api
from nbopen.hubapi.routes import Param, route
from nbopen.hubapi.v1 import audit, collaborators, forks, keys, mirrors, teams

_REPO = r"^(?:datasets/)?[^/]+/[^/]+?(?:\.git)?/info/lfs/"
_TEAM = r"^api/v1/orgs/(?P<org>[^/]+)/teams/(?P<team>[^/]+)"

_AUDIT_QUERY = (
    Param("actor", "entries by this user name"),
    Param("action", "an action (`repo.delete`), or a prefix ending in `.` (`repo.`)"),
    Param("repo", "entries about this repository (`owner/name`)"),
    Param("since", "ISO date or date-time: entries at or after it"),
    Param("until", "ISO date or date-time: entries at or before it (a date: that whole day)"),
    Param("limit", "entries per page, 1–500 (default 100)", schema={"type": "integer"}),
    Param("before", "the `next_before` of the previous page", schema={"type": "integer"}),
    Param("format", "`csv` for CSV instead of JSON", schema={"enum": ["json", "csv"]}),
)

urlpatterns = [
    route(
        "api/openapi.json",
        openapi.openapi_json,
        summary="This document (OpenAPI 3.1)",
        tag="meta",
        responses={200: s.obj({"openapi": s.STR, "info": s.ANY_OBJECT, "paths": s.ANY_OBJECT})},
    ),
    route(
        "api/docs",
        openapi.docs,
        summary="This document as a page",
        tag="meta",
        responses={200: None},
    ),
    route("api/whoami-v2", repos.whoami, methods=("GET", "HEAD"), channel=Channel.HUB),
    route(
        "api/repos/create",
        repos.create,
        methods=("POST",),
        tag="repositories",
        body=s.REPO_CREATE_BODY,
        responses={200: s.REPO_CREATED},
    ),
    route(
        "api/repos/delete",
        repos.delete,
        methods=("DELETE",),
        tag="repositories",
        body=s.REPO_DELETE_BODY,
        responses={200: s.EMPTY},
    ),
    route("api/repos/move", repos.move, methods=("POST",), channel=Channel.HUB),
    route(
        "api/<str:type_plural>/<str:owner>/<str:name>/settings",
        repos.settings,
        methods=("PUT",),
        channel=Channel.HUB,
    ),
    route(_REPO + r"objects/batch\Z", lfs_api.batch, methods=("POST",), channel=Channel.LFS),
    route(_REPO + r"objects/verify\Z", lfs_api.verify, methods=("POST",), channel=Channel.LFS),
    route(_REPO + r"locks(?:/.*)?\Z", lfs_api.locks, methods=("GET", "POST"), channel=Channel.LFS),
    path("", include("nbopen.hubapi.viewer.urls")),
    path("api/v1/analytics/", include("nbopen.hubapi.v1.analytics.urls")),
    path("api/v1/", include("nbopen.hubapi.v1.search_urls")),
    path("api/v1/", include("nbopen.hubapi.v1.libraries_urls")),
    route(
        "api/v1/repos/<str:owner>/<str:name>/forks",
        forks.repo_forks,
        methods=("GET", "POST"),
        tag="repositories",
        body=s.FORK_BODY,
        responses={200: s.FORKS, 201: s.FORK},
    ),
    route(
        "api/v1/repos/<str:owner>/<str:name>/mirror",
        mirrors.repo_mirror,
        methods=("GET", "PUT", "POST", "DELETE"),
        summary="A git pull mirror: status (GET), create the repository as a mirror of url "
        "(PUT), sync now (POST, admin), convert into a normal repository (DELETE, admin)",
        tag="repositories",
        body=s.PULL_MIRROR_BODY,
        responses={200: s.PULL_MIRROR, 201: s.PULL_MIRROR, 202: s.QUEUED},
    ),
    route(
        "api/v1/repos/<str:owner>/<str:name>/collaborators",
        collaborators.repo_collaborators,
        summary="A repository's collaborators",
        tag="repositories",
        responses={200: s.COLLABORATORS},
    ),
    route(
        "api/v1/repos/<str:owner>/<str:name>/collaborators/<str:username>",
        collaborators.repo_collaborators,
        methods=("PUT", "DELETE"),
        summary="Add or change (PUT) or remove (DELETE) a collaborator (admin on the repository)",
        tag="repositories",
        body=s.PERMISSION_BODY,
        responses={200: s.EMPTY, 201: s.GRANT},
    ),
    route(
        "api/v1/user/keys",
        keys.user_keys,
        methods=("GET", "POST"),
        summary="Your SSH public keys (list, or add one)",
        tag="ssh keys",
        body=s.KEY_BODY,
        responses={200: s.SSH_KEYS, 201: s.SSH_KEY},
    ),
    route(
        "api/v1/user/keys/<int:key_id>",
        keys.user_keys,
        methods=("GET", "DELETE"),
        summary="One of your SSH keys (GET), or remove it (DELETE)",
        tag="ssh keys",
        responses={200: s.SSH_KEY, 204: None},
    ),
    route(
        "api/v1/repos/<str:owner>/<str:name>/keys",
        keys.repo_keys,
        methods=("GET", "POST"),
        summary="A repository's deploy keys (list, or add one; admin on the repository)",
        tag="ssh keys",
        body=s.KEY_BODY,
        responses={200: s.DEPLOY_KEYS, 201: s.DEPLOY_KEY},
    ),
    route(
        "api/v1/repos/<str:owner>/<str:name>/keys/<int:key_id>",
        keys.repo_keys,
        methods=("GET", "DELETE"),
        summary="One deploy key (GET), or remove it (DELETE; admin on the repository)",
        tag="ssh keys",
        responses={200: s.DEPLOY_KEY, 204: None},
    ),
    route(
        "api/v1/orgs/<str:org>/audit",
        audit.org_audit,
        tag="audit",
        query=_AUDIT_QUERY,
        responses={200: s.AUDIT},
    ),
    route(
        "api/v1/admin/audit",
        audit.admin_audit,
        tag="audit",
        query=_AUDIT_QUERY,
        responses={200: s.AUDIT},
    ),
    route(
        "api/v1/orgs/<str:org>/teams",
        teams.team_list,
        methods=("GET", "POST"),
        tag="teams",
        body=s.TEAM_BODY,
        responses={200: s.TEAMS, 201: s.TEAM},
    ),
    route(
        _TEAM + r"\Z",
        teams.team_detail,
        methods=("GET", "DELETE"),
        summary="A team (GET), or delete it (DELETE, organization admins)",
        tag="teams",
        responses={200: s.TEAM},
    ),
    route(
        _TEAM + r"/(?P<part>members|repos)/(?P<target>[^/]+)\Z",
        teams.team_detail,
        methods=("PUT", "DELETE"),
        summary="Add (PUT) or remove (DELETE) a team member or a team's repository role",
        tag="teams",
        body=s.PERMISSION_BODY,
        responses={200: s.TEAM},
    ),
    path("api/v1/", include("nbopen.hubapi.v1.social_urls")),
    path("api/v1/", include("nbopen.hubapi.v1.calls_urls")),
    path("", include("nbopen.hubapi.hf.urls")),
]
