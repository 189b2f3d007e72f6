"""URLs of follows, watches, feeds and suggestions, included under ``api/v1/``."""

from nbopen.hubapi import schemas as s
from nbopen.hubapi.routes import Param, route
from nbopen.hubapi.v1 import social
from nbopen.hubapi.v1.suggest import suggest_view

STATE = ("GET", "PUT", "POST", "DELETE")
PAGING = (
    Param("page", schema={"type": "integer", "minimum": 1}),
    Param("per_page", schema={"type": "integer", "minimum": 1, "maximum": 100}),
)

urlpatterns = [
    route(
        "search/suggest",
        suggest_view,
        summary="Suggestions while typing a query",
        tag="search",
        query=(Param("q"), Param("limit", schema={"type": "integer", "minimum": 1})),
        responses={200: s.SUGGEST},
        name="api-v1-suggest",
    ),
    route(
        "follow/<str:name>", social.follow, methods=STATE, tag="social", responses={200: s.FOLLOW}
    ),
    route(
        "owners/<str:name>/followers",
        social.followers,
        tag="social",
        query=PAGING,
        responses={200: s.FOLLOWERS},
    ),
    route(
        "owners/<str:name>/events",
        social.owner_events,
        tag="social",
        query=PAGING,
        responses={200: s.OWNER_EVENTS},
    ),
    route(
        "users/<str:name>/following",
        social.following,
        tag="social",
        query=PAGING,
        responses={200: s.FOLLOWING},
    ),
    route(
        "watch/<str:owner>/<str:name>",
        social.watch,
        methods=STATE,
        tag="social",
        responses={200: s.WATCH},
    ),
    route(
        "repos/<str:owner>/<str:name>/watchers",
        social.watchers,
        tag="social",
        query=PAGING,
        responses={200: s.WATCHERS},
    ),
    route("feed", social.dashboard, tag="social", query=PAGING, responses={200: s.FEED}),
]
