"""URLs of follows, watches, feeds and suggestions, included under ``api/v1/``."""

from django.urls import path

from nbopen.hubapi.v1 import social
from nbopen.hubapi.v1.suggest import suggest_view

urlpatterns = [
    path("search/suggest", suggest_view, name="api-v1-suggest"),
    path("follow/<str:name>", social.follow),
    path("owners/<str:name>/followers", social.followers),
    path("owners/<str:name>/events", social.owner_events),
    path("users/<str:name>/following", social.following),
    path("watch/<str:owner>/<str:name>", social.watch),
    path("repos/<str:owner>/<str:name>/watchers", social.watchers),
    path("feed", social.dashboard),
]
