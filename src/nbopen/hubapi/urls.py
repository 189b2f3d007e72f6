from django.urls import include, path, re_path

from nbopen.hubapi.api import repos
from nbopen.hubapi.githttp import lfs_api
from nbopen.hubapi.v1 import collaborators, forks, teams

_REPO = r"^(?:datasets/)?[^/]+/[^/]+?(?:\.git)?/info/lfs/"

urlpatterns = [
    path("api/whoami-v2", repos.whoami),
    path("api/repos/create", repos.create),
    path("api/repos/delete", repos.delete),
    path("api/<str:type_plural>/<str:owner>/<str:name>/settings", repos.settings),
    re_path(_REPO + r"objects/batch\Z", lfs_api.batch),
    re_path(_REPO + r"objects/verify\Z", lfs_api.verify),
    re_path(_REPO + r"locks(?:/.*)?\Z", lfs_api.locks),
    path("", include("nbopen.hubapi.viewer.urls")),
    path("api/v1/analytics/", include("nbopen.hubapi.v1.analytics.urls")),
    path("api/v1/", include("nbopen.hubapi.v1.search_urls")),
    path("api/v1/", include("nbopen.hubapi.v1.libraries_urls")),
    path("api/v1/repos/<str:owner>/<str:name>/forks", forks.repo_forks),
    path("api/v1/repos/<str:owner>/<str:name>/collaborators", collaborators.repo_collaborators),
    path("api/v1/orgs/<str:org>/teams", teams.team_list),
    path("api/v1/orgs/<str:org>/teams/<str:team>", teams.team_detail),
    re_path(
        r"^api/v1/orgs/(?P<org>[^/]+)/teams/(?P<team>[^/]+)/(?P<part>members|repos)/(?P<target>[^/]+)\Z",
        teams.team_detail,
    ),
    path(
        "api/v1/repos/<str:owner>/<str:name>/collaborators/<str:username>",
        collaborators.repo_collaborators,
    ),
    path("api/v1/", include("nbopen.hubapi.v1.social_urls")),
    path("", include("nbopen.hubapi.hf.urls")),
]
