"""URLs of the incubator and the standards registry, included under ``api/v1/``.

Their response schemas live here (not in ``hubapi.schemas``) to keep the two apps' API in one
file each side."""

from nbopen.hubapi import schemas as s
from nbopen.hubapi.routes import Param, route
from nbopen.hubapi.v1 import incubator, standards
from nbopen.hubapi.v1.calls import MAX_LIMIT

PAGING = (
    Param("page", schema={"type": "integer", "minimum": 1}),
    Param("limit", schema={"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
)
ERRORS = {400: s.ERROR, 401: s.ERROR, 403: s.ERROR, 404: s.ERROR}
NULL_STR = s.NULLABLE_STR

BALLOT = s.obj(
    {
        "id": s.INT,
        "kind": {"enum": ["graduate", "retire"]},
        "result": {"enum": ["open", "passed", "failed"]},
        "tally": s.obj({"yes": s.INT, "no": s.INT, "abstain": s.INT}),
        "votes": s.arr(s.obj({"voter": s.STR, "value": s.INT, "note": s.STR, "at": s.STR})),
    },
    opened_by=s.STR,
    opened_at=s.STR,
    closed_at=NULL_STR,
)
ITEM = s.obj(
    {
        "id": s.STR,
        "area": {"enum": ["CD", "LC", "RE", "QU", "CO", "CS", "IN"]},
        "status": {"enum": ["met", "not_met", "unknown"]},
        "measured": s.BOOL,
        "evidence": s.STR,
    },
    text=s.STR,
    override={"oneOf": [{"type": "null"}, s.obj({"note": s.STR, "mentor": s.STR})]},
)
PROJECT = s.obj(
    {
        "id": s.INT,
        "slug": s.STR,
        "name": s.STR,
        "state": {"enum": ["applied", "incubating", "graduated", "retired", "rejected"]},
        "repositories": s.arr(s.STR),
        "mentors": s.arr(s.STR),
    },
    description=s.STR,
    organization=NULL_STR,
    whole_organization=s.BOOL,
    team=NULL_STR,
    html_url=s.STR,
    created_at=s.STR,
    accepted_at=NULL_STR,
    maturity=s.obj({"evidence": s.ANY_OBJECT, "items": s.arr(ITEM)}),
    timeline=s.arr(s.ANY_OBJECT),
    ballots=s.arr(BALLOT),
)
REPORT = s.obj({"id": s.INT, "period": s.STR, "body": s.STR}, author=NULL_STR, created_at=s.STR)
STANDARD_STATUS = {"enum": ["draft", "public_comment", "approved", "published", "withdrawn"]}
IMPLEMENTATION = s.obj(
    {"id": s.INT, "version": s.STR, "repository": s.STR}, note=s.STR, created_at=s.STR
)
STANDARD = s.obj(
    {
        "id": s.INT,
        "number": s.STR,
        "slug": s.STR,
        "title": s.STR,
        "status": STANDARD_STATUS,
        "committee": s.STR,
        "repository": s.STR,
        "versions": s.arr(s.STR),
    },
    industries=s.arr(s.STR),
    document=s.STR,
    html_url=s.STR,
    created_at=s.STR,
    comments=s.obj(
        {
            "open_threads": s.INT,
            "closed_threads": s.INT,
            "open_comments": s.INT,
            "closed_comments": s.INT,
        }
    ),
    timeline=s.arr(s.ANY_OBJECT),
    implementations=s.arr(IMPLEMENTATION),
)

urlpatterns = [
    route(
        "incubator",
        incubator.project_list,
        methods=("GET", "POST"),
        tag="incubator",
        query=(Param("state"), *PAGING),
        body=s.obj(
            {"slug": s.STR, "name": s.STR},
            repositories=s.arr(s.STR),
            description=s.STR,
            organization=s.STR,
            whole_organization=s.BOOL,
            team=s.STR,
        ),
        responses={200: s.arr(PROJECT), 201: PROJECT, 409: s.ERROR, **ERRORS},
    ),
    route(
        "incubator/<str:slug>",
        incubator.project_detail,
        tag="incubator",
        responses={200: PROJECT, **ERRORS},
    ),
    route(
        "incubator/<str:slug>/accept",
        incubator.project_accept,
        methods=("POST",),
        tag="incubator",
        body=s.obj(mentors=s.arr(s.STR), decline=s.BOOL, note=s.STR),
        responses={200: PROJECT, 409: s.ERROR, **ERRORS},
    ),
    route(
        "incubator/<str:slug>/reports",
        incubator.project_reports,
        methods=("GET", "POST"),
        tag="incubator",
        query=PAGING,
        body=s.obj({"period": s.STR, "body": s.STR}),
        responses={200: s.arr(REPORT), 201: REPORT, 409: s.ERROR, **ERRORS},
    ),
    route(
        "incubator/<str:slug>/maturity/<str:item>",
        incubator.project_item,
        methods=("PUT",),
        tag="incubator",
        body=s.obj({"status": {"enum": ["met", "not_met", "unknown", "measured"]}}, note=s.STR),
        responses={200: PROJECT, **ERRORS},
    ),
    route(
        "incubator/<str:slug>/votes",
        incubator.project_ballots,
        methods=("GET", "POST"),
        tag="incubator",
        query=PAGING,
        body=s.obj({"kind": {"enum": ["graduate", "retire"]}}),
        responses={200: s.arr(BALLOT), 201: BALLOT, 409: s.ERROR, **ERRORS},
    ),
    route(
        "incubator/<str:slug>/votes/<int:ballot_id>",
        incubator.ballot_vote,
        methods=("POST",),
        tag="incubator",
        body=s.obj({"value": {"enum": [1, 0, -1]}}, note=s.STR),
        responses={200: BALLOT, 409: s.ERROR, **ERRORS},
    ),
    route(
        "incubator/<str:slug>/votes/<int:ballot_id>/close",
        incubator.ballot_close,
        methods=("POST",),
        tag="incubator",
        responses={200: BALLOT, 409: s.ERROR, **ERRORS},
    ),
    route(
        "standards",
        standards.standard_list,
        methods=("GET", "POST"),
        tag="standards",
        query=(Param("status"), Param("industry"), *PAGING),
        body=s.obj(
            {"repository": s.STR, "number": s.STR, "title": s.STR, "committee": s.STR},
            industries=s.arr(s.STR),
            document=s.STR,
        ),
        responses={200: s.arr(STANDARD), 201: STANDARD, 409: s.ERROR, **ERRORS},
    ),
    route(
        "standards/<str:slug>",
        standards.standard_detail,
        tag="standards",
        responses={200: STANDARD, **ERRORS},
    ),
    route(
        "standards/<str:slug>/transition",
        standards.standard_transition,
        methods=("POST",),
        tag="standards",
        body=s.obj({"to": STANDARD_STATUS}, version=s.STR, note=s.STR),
        responses={200: STANDARD, 409: s.ERROR, **ERRORS},
    ),
    route(
        "standards/<str:slug>/document",
        standards.standard_document,
        tag="standards",
        query=(Param("version"),),
        responses={
            200: s.obj({"version": NULL_STR, "path": s.STR, "markdown": s.STR}),
            **ERRORS,
        },
    ),
    route(
        "standards/<str:slug>/implementations",
        standards.standard_implementations,
        methods=("GET", "POST"),
        tag="standards",
        query=PAGING,
        body=s.obj({"repository": s.STR, "version": s.STR}, note=s.STR),
        responses={200: s.arr(IMPLEMENTATION), 201: IMPLEMENTATION, 409: s.ERROR, **ERRORS},
    ),
]
