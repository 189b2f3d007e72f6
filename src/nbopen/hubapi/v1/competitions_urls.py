"""URLs of the competition endpoints, included under ``api/v1/`` by ``nbopen.hubapi.urls``."""

from nbopen.hubapi import schemas as s
from nbopen.hubapi.routes import Param, route
from nbopen.hubapi.v1 import competitions as c

_SLUG = "competitions/<str:slug>"
_UPLOAD_MAX = 512 << 20

urlpatterns = [
    route(
        "competitions",
        c.competition_list,
        methods=("GET", "POST"),
        tag="competitions",
        body=s.COMPETITION_BODY,
        responses={200: s.COMPETITIONS, 201: s.COMPETITION},
        name="api-v1-competitions",
    ),
    route(
        _SLUG,
        c.competition_detail,
        methods=("GET", "PATCH"),
        tag="competitions",
        body=s.COMPETITION_UPDATE,
        responses={200: s.COMPETITION},
        name="api-v1-competition",
    ),
    route(
        _SLUG + "/team",
        c.competition_team,
        tag="competitions",
        responses={200: s.COMPETITION_TEAM},
    ),
    route(
        "^competitions/(?P<slug>[^/]+)/team/(?P<action>invite|accept|decline|leave|merge)\\Z",
        c.competition_team,
        methods=("POST",),
        tag="competitions",
        body=s.COMPETITION_TEAM_BODY,
        responses={200: s.COMPETITION_TEAM},
    ),
    route(
        _SLUG + "/finals",
        c.competition_finals,
        methods=("GET", "PUT"),
        tag="competitions",
        query=(Param("phase", "a phase's name (default: the current one)"),),
        body=s.FINALS_BODY,
        responses={200: s.FINALS},
    ),
    route(
        _SLUG + "/winners",
        c.competition_winners,
        methods=("GET", "POST"),
        tag="competitions",
        body=s.WINNER_BODY,
        responses={200: s.WINNERS, 201: s.WINNER_LINKED},
    ),
    route(
        "^competitions/(?P<slug>[^/]+)/(?P<action>publish|close|rescore|archive|join)\\Z",
        c.competition_action,
        methods=("POST",),
        tag="competitions",
        body=s.JOIN_BODY,
        responses={200: s.ANY_OBJECT},
    ),
    route(
        "^competitions/(?P<slug>[^/]+)/(?P<part>ground-truth|scorer)\\Z",
        c.competition_upload,
        methods=("PUT",),
        tag="competitions",
        responses={200: s.GROUND_TRUTH_STORED},
        max_body=_UPLOAD_MAX,
    ),
    route(
        _SLUG + "/submissions",
        c.submissions,
        methods=("GET", "POST"),
        tag="competitions",
        query=(Param("message", "a note shown with the submission (POST)"),),
        responses={200: s.COMPETITION_SUBMISSIONS, 201: s.COMPETITION_SUBMISSION},
        max_body=_UPLOAD_MAX,
    ),
    route(
        _SLUG + "/submissions/<int:number>",
        c.submission_detail,
        tag="competitions",
        responses={200: s.COMPETITION_SUBMISSION},
    ),
    route(
        _SLUG + "/leaderboard",
        c.competition_leaderboard,
        tag="competitions",
        query=(
            Param("phase", "a phase's name (default: the current one)"),
            Param("split", "`public` (default), `private` after the phase ends"),
            Param("format", "`csv` for CSV", schema={"enum": ["json", "csv"]}),
        ),
        responses={200: s.LEADERBOARD},
    ),
]
