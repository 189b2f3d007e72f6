"""URLs of the data-library endpoints, included under ``api/v1/`` by ``nbopen.hubapi.urls``."""

from django.urls import path

from nbopen.hubapi.v1.libraries import library_detail, library_list

urlpatterns = [
    path("libraries", library_list, name="api-v1-libraries"),
    path("libraries/<str:slug>", library_detail, name="api-v1-library"),
]
