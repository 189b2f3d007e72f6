"""``/{owner}/{name}/raw/{rev}/{path}``: file bytes that can never run as a page of our origin.

Text is always ``text/plain``; images keep their type; everything else is an attachment. Every
raw response carries ``Content-Security-Policy: sandbox`` so even a browser that sniffs or an
SVG opened directly cannot run script with our cookies. LFS pointers are resolved to the real
object (as the Hub's ``resolve`` does), from local storage or by redirecting to S3.
"""

from __future__ import annotations

import asyncio
import mimetypes
import posixpath
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import quote

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)

from nbopen.core.storage import get_storage
from nbopen.repos.git import read
from nbopen.repos.lfs import is_linked
from nbopen.web.views.base import repo_access
from nbopen.web.views.browse import parse_pointer
from nbopen.xet.lfs_bridge import open_object

RAW_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
INLINE_IMAGES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/bmp",
    "image/x-icon",
    "image/vnd.microsoft.icon",
    "image/svg+xml",
}
BUFFER_LIMIT = 8 * 1024 * 1024  # below this, read into memory; above, stream


async def _aiter(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Feed a blocking iterator to the ASGI server without blocking its event loop."""
    while True:
        chunk = await asyncio.to_thread(next, chunks, None)
        if chunk is None:
            return
        yield chunk


def _file_chunks(fh: Any, size: int = 1 << 20) -> Iterator[bytes]:
    with fh:
        while chunk := fh.read(size):
            yield chunk


def _headers(
    response: HttpResponse | StreamingHttpResponse, path: str, head: bytes, download: bool
) -> None:
    filename = posixpath.basename(path) or "file"
    guessed = mimetypes.guess_type(filename)[0] or ""
    if not download and guessed in INLINE_IMAGES:
        content_type = guessed
        disposition = "inline"
    elif not download and b"\0" not in head[:8000]:
        content_type = "text/plain; charset=utf-8"
        disposition = "inline"
    else:
        content_type = "application/octet-stream"
        disposition = "attachment"
    response["Content-Type"] = content_type
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    response["Content-Security-Policy"] = RAW_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"


def raw(
    request: HttpRequest, owner: str, name: str, rest: str
) -> HttpResponse | StreamingHttpResponse:
    access = repo_access(request, owner, name, content=True)
    repo = access.repo
    split = access.split(rest)
    if split is None:
        raise Http404("no such revision")
    _, sha, path = split
    entry = read.entry_at(repo.git_path, sha, path) if path else None
    if entry is None or entry.type != "blob":
        raise Http404("no such file")
    download = request.GET.get("download") == "1"
    size = entry.size or 0
    head = read.read_blob(repo.git_path, entry.oid, limit=8192)
    pointer = parse_pointer(head) if size <= 1024 else None
    response: HttpResponse | StreamingHttpResponse
    if pointer is not None and is_linked(repo, pointer.oid, pointer.size):
        storage = get_storage()
        xet_reader = None
        if storage.size(pointer.oid) is None:  # uploaded through Xet: reconstructed bytes
            xet_reader = open_object(repo.pk, pointer.oid)
        url = (
            None
            if xet_reader
            else storage.download_url(pointer.oid, expires=3600, filename=posixpath.basename(path))
        )
        if url:
            return HttpResponseRedirect(url)
        if xet_reader is not None:
            fh: Any = xet_reader
            first = xet_reader.peek(8192)[:8192]
        else:
            fh = storage.open(pointer.oid)
            first = fh.read(8192)
            fh.seek(0)
        response = StreamingHttpResponse(_aiter(_file_chunks(fh)))
        response["Content-Length"] = str(pointer.size)
        _headers(response, path, first, download)
        return response
    if size <= BUFFER_LIMIT:
        response = HttpResponse(read.read_blob(repo.git_path, entry.oid))
    else:
        response = StreamingHttpResponse(_aiter(iter(read.stream_blob(repo.git_path, entry.oid))))
        response["Content-Length"] = str(size)
    _headers(response, path, head, download)
    return response
