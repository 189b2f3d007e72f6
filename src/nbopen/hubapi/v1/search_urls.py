"""URLs of the search endpoint, included under ``api/v1/`` by ``nbopen.hubapi.urls``."""

from django.urls import path

from nbopen.hubapi.v1.search import search_view

urlpatterns = [path("search", search_view, name="api-v1-search")]
