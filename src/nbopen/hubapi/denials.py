"""The policy's :class:`~nbopen.access.policy.Decision` as each machine channel answers it.

:func:`~nbopen.access.policy.decide_repo` decides; this module only words the answer, once per
channel, in one table each. Django views take an ``HttpResponse`` from :func:`denied` /
:func:`invalid`; the raw ASGI handlers (git smart HTTP, Hub downloads and commits, Xet) take
the same table's :class:`Denial` (or :func:`asgi_reply`) and send it themselves.

* ``HUB`` — the Hugging Face Hub's shapes: ``RepoNotFound`` for both 401 and 404 (a private
  repository looks like a missing one), 403 without a code for a refused write.
* ``API`` — our own JSON API (``/api/v1/…``, ``/api/repos/…``, the viewer): the same as
  ``HUB``, so one client error mapping serves both.
* ``GIT`` — git smart HTTP: plain text, and ``WWW-Authenticate: Basic`` on 401 so git asks
  the credential helper.
* ``LFS`` — the LFS batch API: the same statuses as ``GIT`` with git-lfs's JSON body
  (``{"message", "documentation_url"}``, ``application/vnd.git-lfs+json``) and
  ``LFS-Authenticate`` too.

Web pages answer with a sign-in redirect or the 404 page: :mod:`nbopen.web.denials`.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass

from django.http import HttpResponse, JsonResponse

from nbopen.access.credentials import InvalidCredentials, Throttled
from nbopen.access.policy import Decision
from nbopen.config.env import CONFIG
from nbopen.hubapi.errors import api_error, header_text
from nbopen.repos.models import Repository


class Channel(enum.Enum):
    HUB = "hub"
    API = "api"
    GIT = "git"
    LFS = "lfs"


@dataclass(frozen=True)
class Denial:
    status: int
    message: str
    code: str | None = None
    # A moved repository (:func:`moved`): where the same request should go instead.
    location: str | None = None
    retry_after: int | None = None  # seconds, sent as Retry-After (429)


def moved(location: str) -> Denial:
    """The answer at a moved repository's old name, on every machine channel: 307 keeps the
    method and body (a Hub commit or a git push to the old name arrives intact), and git,
    git-lfs and huggingface_hub all follow it. Only issued when the caller may read the
    repository (:func:`nbopen.repos.moves.visible_move`)."""
    return Denial(307, f"Repository moved to {location}", location=location)


def _table(wording: dict[Decision, tuple[str, str | None]]) -> dict[Decision, Denial]:
    # The status is the policy's (Decision.http_status); a channel only words it.
    return {d: Denial(d.http_status, message, code) for d, (message, code) in wording.items()}


_REPO_NOT_FOUND = "Repository Not Found"
# The Hub's wording for a gated repository (its client raises GatedRepoError on the code).
GATED_ANONYMOUS = (
    "Access to this repository is restricted. You must have access to it and be "
    "authenticated to access it. Please log in."
)
GATED = (
    "Access to this repository is restricted and you are not in the authorized list. "
    "Visit the repository's page to ask for access."
)
_HUB = _table(
    {
        Decision.UNAUTHENTICATED: (_REPO_NOT_FOUND, "RepoNotFound"),
        Decision.NOT_FOUND: (_REPO_NOT_FOUND, "RepoNotFound"),
        Decision.FORBIDDEN: ("You do not have the rights needed on this repository", None),
        Decision.GATED: (GATED, "GatedRepo"),
        Decision.GATED_ANONYMOUS: (GATED_ANONYMOUS, "GatedRepo"),
    }
)
_GIT = _table(
    {
        Decision.UNAUTHENTICATED: ("Authentication required", None),
        Decision.NOT_FOUND: ("Repository not found", None),
        Decision.FORBIDDEN: ("You do not have write access to this repository", None),
        Decision.GATED: (GATED, None),
        Decision.GATED_ANONYMOUS: ("Authentication required: this repository is gated", None),
    }
)
TABLES: dict[Channel, dict[Decision, Denial]] = {
    Channel.HUB: _HUB,
    Channel.API: _HUB,
    Channel.GIT: _GIT,
    Channel.LFS: _GIT,
}
# The Hub sends no X-Error-Code for a bad token; its client keys its message off the status.
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"
CHALLENGE = 'Basic realm="NBopen"'
LFS_JSON = "application/vnd.git-lfs+json"

AsgiHeaders = list[tuple[bytes, bytes]]


def gated_message(repo: Repository) -> str:
    """The Hub's words for a signed-in user without access, naming the repository and the
    page where they ask (``GatedRepoError`` shows them; the Hub's own tests match on them)."""
    prefix = "datasets/" if repo.type == "dataset" else ""
    return (
        f"Access to {repo.type} {repo.full_name} is restricted and you are not in the "
        f"authorized list. Visit {CONFIG.public_url}/{prefix}{repo.full_name} to ask for access."
    )


def denial(channel: Channel, decision: Decision, repo: Repository | None = None) -> Denial:
    """What ``channel`` answers for a refusal. ``ALLOW`` with no repository (a caller that
    found nothing to allow on) is answered as ``NOT_FOUND``. ``repo``, when the caller may
    know it exists (``GATED``), is named in the answer."""
    if decision is Decision.ALLOW:
        decision = Decision.NOT_FOUND
    found = TABLES[channel][decision]
    if decision is Decision.GATED and repo is not None:
        return Denial(found.status, gated_message(repo), found.code)
    return found


def invalid_denial(channel: Channel, exc: InvalidCredentials | None = None) -> Denial:
    """Bad credentials: 401 (git clients see the reason, Hub clients the Hub's text), or 429
    with ``Retry-After`` when the client failed too often (every channel shows the reason)."""
    if isinstance(exc, Throttled):
        return Denial(429, str(exc), retry_after=exc.retry_after)
    if channel in (Channel.GIT, Channel.LFS) and exc is not None:
        return Denial(401, str(exc))
    return Denial(401, INVALID_CREDENTIALS)


# --- Django responses -----------------------------------------------------------------------


def lfs_error(status: int, message: str) -> HttpResponse:
    """An error of the LFS batch API, as git-lfs expects it."""
    response = HttpResponse(
        json.dumps({"message": message, "documentation_url": CONFIG.public_url + "/docs/lfs"}),
        status=status,
        content_type=LFS_JSON,
    )
    response["X-Error-Message"] = header_text(message)
    if status == 401:
        response["WWW-Authenticate"] = CHALLENGE
        response["LFS-Authenticate"] = CHALLENGE
    return response


def response(channel: Channel, found: Denial) -> HttpResponse:
    reply: HttpResponse
    if channel is Channel.LFS:
        reply = lfs_error(found.status, found.message)
    elif channel is Channel.GIT:
        reply = HttpResponse(found.message + "\n", status=found.status, content_type="text/plain")
        if found.status == 401:
            reply["WWW-Authenticate"] = CHALLENGE
    else:
        reply = api_error(found.status, found.message, found.code)
    if found.retry_after is not None:
        reply["Retry-After"] = str(found.retry_after)
    if found.location is not None:
        reply["Location"] = found.location
    return reply


def denied(
    decision: Decision, channel: Channel = Channel.HUB, repo: Repository | None = None
) -> HttpResponse:
    """The response for a refused ``decide_repo`` on a Django view of ``channel``."""
    return response(channel, denial(channel, decision, repo))


def invalid(channel: Channel = Channel.HUB, exc: InvalidCredentials | None = None) -> HttpResponse:
    """The response for :class:`InvalidCredentials` on a Django view of ``channel``."""
    return response(channel, invalid_denial(channel, exc))


# Names the Hub views have always used.
def repo_denied(decision: Decision, repo: Repository | None = None) -> JsonResponse:
    """401 for anonymous, 404 for those who may not see it, 403 for a refused write (Hub)."""
    found = denial(Channel.HUB, decision, repo)
    return api_error(found.status, found.message, found.code)


def invalid_credentials() -> JsonResponse:
    return api_error(401, INVALID_CREDENTIALS)


# --- raw ASGI ---------------------------------------------------------------------------


def location_header(found: Denial) -> AsgiHeaders:
    """The ``Location`` of a moved repository's redirect (none for other denials), for the
    raw handlers that frame their own errors."""
    if found.location is None:
        return []
    return [(b"location", found.location.encode("ascii", "replace"))]


def retry_headers(found: Denial) -> AsgiHeaders:
    """``Retry-After`` for a throttled request (raw handlers that word their own errors)."""
    if found.retry_after is None:
        return []
    return [(b"retry-after", str(found.retry_after).encode())]


def extra_headers(found: Denial) -> AsgiHeaders:
    """``Location`` (a move) and ``Retry-After`` (a throttle) of a denial, for the raw
    handlers that word their own errors."""
    return [*location_header(found), *retry_headers(found)]


def asgi_headers(channel: Channel, found: Denial) -> AsgiHeaders:
    """The headers that carry a denial on ``channel`` (besides content type and length)."""
    headers = extra_headers(found)
    if channel in (Channel.HUB, Channel.API):
        headers.append((b"x-error-message", header_text(found.message).encode()))
        if found.code:
            headers.append((b"x-error-code", found.code.encode()))
    elif found.status == 401:
        headers.append((b"www-authenticate", CHALLENGE.encode()))
    return headers


def asgi_reply(channel: Channel, found: Denial) -> tuple[int, AsgiHeaders, bytes]:
    """(status, headers, body) for a raw ASGI handler to send."""
    if channel in (Channel.HUB, Channel.API):
        body = json.dumps({"error": found.message}).encode()
        content_type = b"application/json"
    elif channel is Channel.LFS:
        body = json.dumps({"message": found.message}).encode()
        content_type = LFS_JSON.encode()
    else:
        body = (found.message + "\n").encode()
        content_type = b"text/plain; charset=utf-8"
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(body)).encode()),
        *asgi_headers(channel, found),
    ]
    return found.status, headers, body
