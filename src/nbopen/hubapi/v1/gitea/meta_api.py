"""Gitea's milestones, organization labels, reactions and issue templates: thin views over
:mod:`nbopen.collab.milestones`, :mod:`.labels`, :mod:`.reactions` and
:mod:`.issue_templates`. Who may do what is theirs and the policy's: milestones need write
to change, a reaction any signed-in reader, an organization's labels its owners; a private
repository the caller cannot read is a 404 like a missing one.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from nbopen.access.credentials import principal_from_request
from nbopen.collab import issue_templates, labels, milestones, reactions, threads
from nbopen.collab.models import Comment, Thread
from nbopen.core.errors import NotFound
from nbopen.hubapi.v1.gitea import shapes
from nbopen.hubapi.v1.gitea.common import Refusal, body, error, gitea_view, paginate, repo_for
from nbopen.orgs.models import Organization
from nbopen.orgs.services import org_get


@csrf_exempt
@gitea_view
def milestone_list(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """A repository's milestones (GET: `state` open|closed|all, `name`) or a new one
    (POST: title, description, due_on, state; writers)."""
    principal, repo = repo_for(request, owner, name)
    if request.method == "POST":
        data = body(request)
        made = milestones.milestone_create(
            actor=principal,
            repo=repo,
            title=data.get("title"),
            description=data.get("description") or "",
            due_on=data.get("due_on"),
            state=data.get("state") or "open",
        )
        return JsonResponse(shapes.milestone(made), status=201)
    state = request.GET.get("state", "open")
    found = milestones.milestone_list(
        actor=principal,
        repo=repo,
        state=state if state in {"open", "closed"} else None,
        name=request.GET.get("name") or None,
    )
    return paginate(request, found, shapes.milestone)


@csrf_exempt
@gitea_view
def milestone(request: HttpRequest, owner: str, name: str, ref: str) -> HttpResponse:
    """A milestone by id or title (GET), change it (PATCH: absent or null fields stay,
    `due_on: ""` removes the date) or delete it (DELETE): writers."""
    principal, repo = repo_for(request, owner, name)
    if request.method == "DELETE":
        milestones.milestone_delete(actor=principal, repo=repo, ref=ref)
        return HttpResponse(status=204)
    if request.method == "PATCH":
        data = body(request)
        # As in Gitea, a field that is absent or null stays as it is; our one addition:
        # `"due_on": ""` removes the due date (Gitea's API has no way to).
        changes = {
            key: data[key]
            for key in ("title", "description", "due_on", "state")
            if data.get(key) is not None
        }
        made = milestones.milestone_edit(actor=principal, repo=repo, ref=ref, **changes)
        return JsonResponse(shapes.milestone(made))
    return JsonResponse(
        shapes.milestone(milestones.milestone_get(actor=principal, repo=repo, ref=ref))
    )


def _org(name: str) -> Organization:
    try:
        return org_get(name)
    except NotFound:
        raise Refusal(error(404, "The target couldn't be found.")) from None


@csrf_exempt
@gitea_view
def org_label_list(request: HttpRequest, org: str) -> HttpResponse:
    """An organization's labels, usable on all its repositories (GET), or a new one (POST:
    name, color, description; the organization's owners and admins)."""
    principal = principal_from_request(request)
    found = _org(org)
    if request.method == "POST":
        if not principal.is_authenticated:
            return error(401, "token is required")
        data = body(request)
        made = labels.org_label_create(
            actor=principal,
            org=found,
            name=data.get("name"),
            color=data.get("color"),
            description=data.get("description") or "",
        )
        return JsonResponse(shapes.label(made), status=201)
    return paginate(request, labels.org_labels(found).select_related("organization"), shapes.label)


@csrf_exempt
@gitea_view
def org_label(request: HttpRequest, org: str, label_id: int) -> HttpResponse:
    """An organization's label (GET), change it (PATCH) or delete it (DELETE): owners."""
    principal = principal_from_request(request)
    found = _org(org)
    if request.method != "GET" and not principal.is_authenticated:
        return error(401, "token is required")
    if request.method == "DELETE":
        labels.org_label_delete(actor=principal, org=found, label_id=label_id)
        return HttpResponse(status=204)
    if request.method == "PATCH":
        data = body(request)
        made = labels.org_label_edit(
            actor=principal,
            org=found,
            label_id=label_id,
            name=data.get("name"),
            color=data.get("color"),
            description=data.get("description"),
        )
        return JsonResponse(shapes.label(made))
    return JsonResponse(shapes.label(labels.org_label_get(found, label_id)))


def _react(request: HttpRequest, thread: Thread, comment: Comment | None) -> HttpResponse:
    principal = principal_from_request(request)
    comment_id = comment.pk if comment is not None else None
    if request.method == "GET":
        found = reactions.reactions(thread, comment)
        return paginate(request, found, shapes.reaction)
    content = body(request).get("content")
    if request.method == "DELETE":
        reactions.unreact(actor=principal, thread=thread, content=content, comment_id=comment_id)
        return HttpResponse(status=200)
    made, created = reactions.react(
        actor=principal, thread=thread, content=content, comment_id=comment_id
    )
    return JsonResponse(shapes.reaction(made), status=201 if created else 200)


@csrf_exempt
@gitea_view
def issue_reactions(request: HttpRequest, owner: str, name: str, index: str) -> HttpResponse:
    """Reactions on an issue or pull request (GET), add one (POST) or take yours back
    (DELETE): `content` is +1, -1, laugh, hooray, confused, heart, rocket or eyes."""
    principal, repo = repo_for(request, owner, name)
    if not index.isdigit():
        raise NotFound("issue does not exist")
    thread = threads.thread_get(actor=principal, repo=repo, number=int(index))
    return _react(request, thread, None)


@csrf_exempt
@gitea_view
def comment_reactions(request: HttpRequest, owner: str, name: str, comment_id: int) -> HttpResponse:
    """Reactions on a comment (GET), add one (POST) or take yours back (DELETE)."""
    _principal, repo = repo_for(request, owner, name)
    found = (
        Comment.objects.select_related("thread__repository")
        .filter(pk=comment_id, thread__repository=repo, opening=False, hidden=False)
        .first()
    )
    if found is None:
        raise NotFound("comment does not exist")
    return _react(request, found.thread, found)


@gitea_view
def issue_template_list(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """The issue templates of the default branch (`.nbopen/`, `.gitea/` or `.github/`
    `ISSUE_TEMPLATE/`), YAML issue forms turned into Markdown `content`."""
    principal, repo = repo_for(request, owner, name)
    found = issue_templates.usable(actor=principal, repo=repo)
    return JsonResponse([shapes.issue_template(t) for t in found], safe=False)
