from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("healthz", healthz),
    path("", include("nbopen.hubapi.urls")),
    # Last: the web UI owns the catch-all /{owner}/{name}/… pages.
    path("", include("nbopen.web.urls")),
]
