"""URLs of the data-library endpoints, included under ``api/v1/`` by ``nbopen.hubapi.urls``."""

from nbopen.hubapi import schemas as s
from nbopen.hubapi.routes import route
from nbopen.hubapi.v1.libraries import library_detail, library_list

urlpatterns = [
    route(
        "libraries",
        library_list,
        summary="The vertical data libraries, with counts the caller may see",
        tag="libraries",
        responses={200: s.LIBRARIES},
        name="api-v1-libraries",
    ),
    route(
        "libraries/<str:slug>",
        library_detail,
        summary="One data library: counts, growth, top organizations, repositories",
        tag="libraries",
        responses={200: s.LIBRARY},
        name="api-v1-library",
    ),
]
