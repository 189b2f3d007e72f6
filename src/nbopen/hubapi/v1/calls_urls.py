"""URLs of open calls (``nbopen.programs``), included under ``api/v1/``."""

from nbopen.hubapi import schemas as s
from nbopen.hubapi.routes import Param, route
from nbopen.hubapi.v1 import calls

PAGING = (
    Param("page", schema={"type": "integer", "minimum": 1}),
    Param("limit", schema={"type": "integer", "minimum": 1, "maximum": calls.MAX_LIMIT}),
)
ERRORS = {401: s.ERROR, 403: s.ERROR, 404: s.ERROR}

urlpatterns = [
    route(
        "calls",
        calls.call_list,
        methods=("GET", "POST"),
        tag="calls",
        query=(Param("state"), Param("organization"), *PAGING),
        body=s.CALL_CREATE_BODY,
        responses={200: s.CALLS, 201: s.CALL, 422: s.ERROR, **ERRORS},
    ),
    route(
        "calls/<int:call_id>",
        calls.call_detail,
        methods=("GET", "PATCH"),
        tag="calls",
        body=s.CALL_PATCH_BODY,
        responses={200: s.CALL, 409: s.ERROR, 422: s.ERROR, **ERRORS},
    ),
    route(
        "calls/<int:call_id>/transition",
        calls.call_transition,
        methods=("POST",),
        tag="calls",
        body=s.TRANSITION_BODY,
        responses={200: s.CALL, 400: s.ERROR, 409: s.ERROR, **ERRORS},
    ),
    route(
        "calls/<int:call_id>/applications",
        calls.call_applications,
        methods=("GET", "POST"),
        tag="calls",
        query=PAGING,
        body=s.APPLICATION_BODY,
        responses={200: s.APPLICATIONS, 201: s.APPLICATION, 409: s.ERROR, 422: s.ERROR, **ERRORS},
    ),
    route(
        "calls/<int:call_id>/applications/<int:application_id>/decision",
        calls.application_decision,
        methods=("POST",),
        tag="calls",
        body=s.DECISION_BODY,
        responses={200: s.APPLICATION, 400: s.ERROR, 422: s.ERROR, **ERRORS},
    ),
    route(
        "calls/<int:call_id>/applications/<int:application_id>",
        calls.application_detail,
        tag="calls",
        responses={200: s.APPLICATION, **ERRORS},
    ),
    route(
        "calls/<int:call_id>/applications/<int:application_id>/reviews",
        calls.application_reviews,
        methods=("GET", "POST"),
        tag="calls",
        query=PAGING,
        body=s.REVIEW_BODY,
        responses={200: s.CALL_REVIEWS, 201: s.CALL_REVIEW, 409: s.ERROR, 422: s.ERROR, **ERRORS},
    ),
    route(
        "calls/<int:call_id>/applications/<int:application_id>/conflict",
        calls.application_conflict,
        methods=("POST",),
        tag="calls",
        body=s.CONFLICT_BODY,
        responses={204: None, 409: s.ERROR, **ERRORS},
    ),
    route(
        "calls/<int:call_id>/panel",
        calls.call_panel,
        methods=("GET", "PATCH"),
        tag="calls",
        body=s.PANEL_BODY,
        responses={200: s.PANEL, 409: s.ERROR, 422: s.ERROR, **ERRORS},
    ),
    route(
        "calls/<int:call_id>/panel/reviewers/<str:username>",
        calls.call_panel_reviewer,
        methods=("PUT", "DELETE"),
        tag="calls",
        responses={204: None, 422: s.ERROR, **ERRORS},
    ),
    route(
        "calls/<int:call_id>/milestones/<int:number>/payment",
        calls.milestone_payment,
        methods=("POST",),
        tag="calls",
        responses={200: s.CALL, 409: s.ERROR, **ERRORS},
    ),
    route(
        "calls/<int:call_id>/matches",
        calls.call_matches,
        tag="calls",
        query=PAGING,
        responses={200: s.MATCHES, **ERRORS},
    ),
    route(
        "users/<str:name>/matched-calls",
        calls.user_matched_calls,
        tag="calls",
        query=PAGING,
        responses={200: s.MATCHED_CALLS, 404: s.ERROR},
    ),
]
