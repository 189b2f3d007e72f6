"""``GET /api/{models|datasets}/{owner}/{name}/xet-{read|write}-token/{rev}``.

What ``huggingface_hub`` asks before every Xet upload (write) and download (read), and what
``hf_xet`` calls again to refresh an expiring token. ``huggingface_hub`` reads the
``X-Xet-Cas-Url``, ``X-Xet-Access-Token`` and ``X-Xet-Token-Expiration`` headers; ``hf_xet``
parses the JSON body ``{"accessToken", "exp", "casUrl"}``; both are sent.

The revision is not checked: the client sends ``None`` when it opens a pull request, and a
write to a new repository names a branch that does not exist yet. A CAS token grants access to
the repository's chunks, not to a revision (its files' reachability is decided per request).
Read needs read access, write needs write access, through the one policy; the error shapes are
the Hub's (401 anonymous, 404 cannot see, 403 cannot write). A pull request's files
(``?create_pr=1`` or a ``refs/pr/N`` revision) need only read access and a signed-in caller
whose token may write, as opening the pull request does; the commit then decides whether the
files may go to that pull request, and nothing lets them reach a branch without write access.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse

from nbopen.access.policy import Level
from nbopen.hubapi.errors import api_error
from nbopen.xet.services import CasError, issue_cas_token

from .common import load_repo


def xet_token(
    request: HttpRequest,
    type_plural: str,
    owner: str,
    name: str,
    kind: str,
    rev: str | None = None,
) -> HttpResponse:
    write = kind == "write"
    # A pull request's files may come from any signed-in reader (as its preupload and commit):
    # the client asks with ``?create_pr=1`` (or names the pull request's ref).
    for_pr = write and (
        request.GET.get("create_pr", "").lower() in {"1", "true"}
        or (rev or "").startswith("refs/pr/")
    )
    level = Level.WRITE if write and not for_pr else Level.READ
    ctx = load_repo(request, type_plural, owner, name, level, content=True)
    if isinstance(ctx, JsonResponse):
        return ctx
    try:
        issued = issue_cas_token(
            repo=ctx.repo, principal=ctx.principal, write=write, pull_request=for_pr
        )
    except CasError as exc:  # load_repo decided the same way; kept for a policy change between
        return api_error(exc.status, str(exc))
    response = JsonResponse(issued.as_json())
    for header, value in issued.as_headers().items():
        response[header] = value
    response["Cache-Control"] = "no-store"
    return response
