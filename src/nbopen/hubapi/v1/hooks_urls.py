"""Gitea's webhook routes, included under ``api/v1/``."""

from nbopen.hubapi import schemas as s
from nbopen.hubapi.routes import route
from nbopen.hubapi.v1 import hooks

ONE = ("GET", "PATCH", "DELETE")

urlpatterns = [
    route(
        "repos/<str:owner>/<str:repo>/hooks",
        hooks.repo_hooks,
        methods=("GET", "POST"),
        tag="webhooks",
        body=s.HOOK_BODY,
        responses={200: s.HOOKS, 201: s.HOOK},
    ),
    route(
        "repos/<str:owner>/<str:repo>/hooks/<int:id>",
        hooks.repo_hook,
        methods=ONE,
        tag="webhooks",
        body=s.HOOK_BODY,
        responses={200: s.HOOK, 204: None},
    ),
    route(
        r"^repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)/hooks/(?P<id>[0-9]+)/(?P<part>tests)\Z",
        hooks.repo_hook,
        methods=("POST",),
        summary="Send a test push delivery to a repository's webhook",
        tag="webhooks",
        responses={204: None},
    ),
    route(
        "orgs/<str:org>/hooks",
        hooks.org_hooks,
        methods=("GET", "POST"),
        tag="webhooks",
        body=s.HOOK_BODY,
        responses={200: s.HOOKS, 201: s.HOOK},
    ),
    route(
        "orgs/<str:org>/hooks/<int:id>",
        hooks.org_hook,
        methods=ONE,
        tag="webhooks",
        body=s.HOOK_BODY,
        responses={200: s.HOOK, 204: None},
    ),
    route(
        r"^orgs/(?P<org>[^/]+)/hooks/(?P<id>[0-9]+)/(?P<part>tests)\Z",
        hooks.org_hook,
        methods=("POST",),
        summary="Send a test push delivery to an organization's webhook",
        tag="webhooks",
        responses={204: None},
    ),
]
