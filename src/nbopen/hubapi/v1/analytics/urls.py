from django.urls import path

from nbopen.hubapi.v1.analytics import views

urlpatterns = [
    path("city", views.city),
    path("orgs/<str:name>", views.organization),
    path("repos/<str:owner>/<str:name>", views.repository),
    path("value", views.value),
    path("registry", views.registry),
]
