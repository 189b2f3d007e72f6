"""Serve the packaged CSS/JS/images ourselves: no CDN, no collectstatic step, works offline."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import http_date

STARTED = http_date()


def static(request: HttpRequest, path: str) -> HttpResponse | FileResponse:
    if ".." in path.split("/"):
        raise Http404("not found")
    found = finders.find(path)
    if not found or isinstance(found, list):
        raise Http404("not found")
    file = Path(found)
    stat = file.stat()
    etag = f'"{int(stat.st_mtime)}-{stat.st_size}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    response = HttpResponse(file.read_bytes(), content_type=content_type)
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=3600"
    return response
