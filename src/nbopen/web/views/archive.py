"""``/{owner}/{name}/archive/{rev}.zip|.tar.gz``: a revision as one download (as on GitHub and
Gitea), streamed from ``git archive`` with LFS files as their content
(:mod:`nbopen.repos.archives`). Read access and the gate apply, as for ``raw``."""

from __future__ import annotations

from urllib.parse import quote

from django.http import Http404, HttpRequest, StreamingHttpResponse

from nbopen.repos import archives
from nbopen.repos.git.bare import GitError
from nbopen.web.views.base import repo_access
from nbopen.web.views.raw import _aiter


def archive(request: HttpRequest, owner: str, name: str, rest: str) -> StreamingHttpResponse:
    access = repo_access(request, owner, name, content=True)
    named = archives.split_name(rest)
    if named is None:
        raise Http404("unknown archive format")
    rev, fmt = named
    split = access.split(rev)
    if split is None or split[2]:
        raise Http404("no such revision")
    try:
        result = archives.open_archive(access.repo, sha=split[1], rev=split[0], fmt=fmt)
    except GitError:
        raise Http404("no archive for this revision") from None
    response = StreamingHttpResponse(_aiter(result.chunks), content_type=result.content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(result.filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
