from nbopen.hubapi import schemas as s
from nbopen.hubapi.routes import Param, route
from nbopen.hubapi.v1.analytics import views

MONTH = Param("month", "YYYY-MM (default: the latest computed month)")

urlpatterns = [
    route(
        "city",
        views.city,
        summary="City-wide open-source metrics",
        tag="analytics",
        query=(MONTH,),
        responses={200: s.CITY},
    ),
    route(
        "orgs/<str:name>",
        views.organization,
        summary="An organization's metrics",
        tag="analytics",
        query=(MONTH,),
        responses={200: s.ORG_ANALYTICS},
    ),
    route(
        "repos/<str:owner>/<str:name>",
        views.repository,
        summary="A repository's metrics",
        tag="analytics",
        query=(MONTH, Param("platform", "nbopen (default), github or gitee")),
        responses={200: s.REPO_ANALYTICS},
    ),
    route(
        "value",
        views.value,
        tag="analytics",
        query=(Param("monthly_cost", "CNY per developer-month", schema={"type": "number"}),),
        responses={200: s.VALUE},
    ),
    route(
        "registry",
        views.registry,
        methods=("GET", "POST"),
        tag="analytics",
        summary="The city registry of GitHub/Gitee accounts (site administrators)",
        body=s.REGISTRY_BODY,
        responses={200: s.REGISTRY},
    ),
]
