"""Gitea's issues, comments, labels, pulls and reviews, plus ``/version``, ``/user`` and
``/repos/{owner}/{repo}``: thin views over :mod:`nbopen.collab.threads` and
:mod:`nbopen.collab.pulls`; who may do what is the services' and the policy's decision.

Any signed-in user may open issues and pull requests and comment on a repository they can
read; labels, merges and edits of others' threads need write. Issues and pull requests share
one number sequence, so ``/issues/{index}`` also answers for a pull request, as in Gitea.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

import nbopen
from nbopen.access.credentials import principal_from_request
from nbopen.access.policy import Level, Principal, repo_level
from nbopen.collab import listing, milestones, pulls, threads
from nbopen.collab.models import Comment, Label, Review, Thread
from nbopen.core.errors import InvalidInput, NotFound
from nbopen.hubapi.v1.gitea import shapes
from nbopen.hubapi.v1.gitea.common import Refusal, body, error, gitea_view, paginate, repo_for
from nbopen.repos.git import merge as gitmerge
from nbopen.repos.models import Repository

REVIEW_EVENTS = {
    "APPROVED": Review.State.APPROVED,
    "APPROVE": Review.State.APPROVED,
    "REQUEST_CHANGES": Review.State.CHANGES_REQUESTED,
    "COMMENT": Review.State.COMMENTED,
}
STRATEGIES = {
    "merge": pulls.Strategy.MERGE,
    "squash": pulls.Strategy.SQUASH,
    "rebase": pulls.Strategy.REBASE,
    "fast-forward-only": pulls.Strategy.REBASE,
}


def version(request: HttpRequest) -> HttpResponse:
    """The server's version (Gitea clients check it before anything else)."""
    return JsonResponse({"version": f"1.22.0+nbopen-{nbopen.__version__}"})


@gitea_view
def me(request: HttpRequest) -> HttpResponse:
    """The signed-in user (401 without a token)."""
    principal = principal_from_request(request)
    if principal.user is None:
        raise Refusal(error(401, "token is required"))
    return JsonResponse(shapes.user(principal.user))


def _counts(repo: Repository) -> dict[str, int]:
    found = Thread.objects.filter(repository=repo, state=Thread.State.OPEN).aggregate(
        issues=Count("pk", filter=Q(kind=Thread.Kind.ISSUE)),
        pulls=Count("pk", filter=Q(kind=Thread.Kind.PULL)),
    )
    return {k: int(v or 0) for k, v in found.items()}


@gitea_view
def repository(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """A repository in Gitea's shape (permissions are the caller's)."""
    principal, repo = repo_for(request, owner, name)
    return JsonResponse(shapes.repository(repo, repo_level(principal, repo), _counts(repo)))


# -- issues -------------------------------------------------------------------------------


def _thread(principal: Principal, repo: Repository, index: str) -> Thread:
    if not index.isdigit():
        raise NotFound("issue does not exist")
    return threads.thread_get(actor=principal, repo=repo, number=int(index))


def _issue_json(thread: Thread) -> dict[str, Any]:
    body = threads.opening(thread).body
    count = Comment.objects.filter(thread=thread, opening=False).count()
    return shapes.issue(thread, body, count, list(thread.labels.all()))


def _label_refs(values: object) -> tuple[list[str], list[int]]:
    """Gitea sends label ids (numbers, the repository's or its organization's); names are
    accepted too."""
    if not isinstance(values, list):
        raise InvalidInput("labels must be a list")
    ids = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    names = [v for v in values if isinstance(v, str)]
    return names, ids


def _milestone_ref(value: object) -> int | str | None:
    """Gitea's ``milestone``: an id (0 or null: none); a title is accepted too."""
    if value is None or isinstance(value, str):
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return value or None
    raise InvalidInput("milestone must be a milestone id")


def _apply_edits(principal: Principal, thread: Thread, data: dict[str, Any]) -> None:
    if "title" in data:
        threads.rename(actor=principal, thread=thread, title=data["title"])
    if "body" in data:
        opening = threads.opening(thread)
        if opening.pk is None:
            raise InvalidInput("This thread has no description to edit")
        threads.comment_edit(
            actor=principal, thread=thread, comment_id=opening.pk, body=data["body"] or ""
        )
    if "labels" in data:
        names, ids = _label_refs(data["labels"])
        threads.set_labels(actor=principal, thread=thread, names=names, ids=ids)
    if "milestone" in data:
        milestones.set_milestone(
            actor=principal, thread=thread, ref=_milestone_ref(data["milestone"])
        )
    if "assignees" in data and data["assignees"] is not None:
        threads.set_assignees(actor=principal, thread=thread, usernames=list(data["assignees"]))
    if data.get("state") in {"open", "closed"}:
        current = "open" if thread.state == Thread.State.OPEN else "closed"
        if data["state"] != current:
            threads.set_state(actor=principal, thread=thread, state=data["state"])


@csrf_exempt
@gitea_view
def issues(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """List issues (GET: `state` open|closed|all, `labels`, `q`, `type` issues|pulls,
    `created_by`) or open one (POST: any signed-in reader)."""
    principal, repo = repo_for(request, owner, name)
    if request.method == "POST":
        data = body(request)
        with transaction.atomic():  # a bad label or milestone leaves no half-made issue
            thread = threads.create_thread(
                actor=principal, repo=repo, title=data.get("title", ""), body=data.get("body") or ""
            )
            edits = {k: data[k] for k in ("labels", "assignees", "milestone") if data.get(k)}
            if edits:
                _apply_edits(principal, thread, edits)
        return JsonResponse(_issue_json(thread), status=201)
    state = request.GET.get("state", "open")
    kind = {"issues": Thread.Kind.ISSUE, "pulls": Thread.Kind.PULL}.get(request.GET.get("type", ""))
    qs = threads.thread_list(
        actor=principal,
        repo=repo,
        kind=kind,
        state=state if state in {"open", "closed"} else None,
        author=request.GET.get("created_by") or None,
    )
    for label in [x for x in request.GET.get("labels", "").split(",") if x.strip()]:
        qs = qs.filter(labels__name_lower=label.strip().lower())
    if request.GET.get("milestones", "").strip():
        qs = threads.filter_milestones(qs, request.GET["milestones"].split(","))
    query = request.GET.get("q", "").strip()
    if query:  # words of titles, bodies and comments, as Gitea's indexer finds them
        qs = listing.refine(qs, query=query, repository_id=repo.pk)
    qs = qs.order_by("-number").distinct()
    return paginate(request, qs, _issue_json)


@csrf_exempt
@gitea_view
def issue(request: HttpRequest, owner: str, name: str, index: str) -> HttpResponse:
    """An issue (or pull request) by number (GET), or edit it (PATCH: title, body, state,
    labels, assignees; its author or a writer)."""
    principal, repo = repo_for(request, owner, name)
    thread = _thread(principal, repo, index)
    if request.method == "PATCH":
        with transaction.atomic():  # all of the edit or none of it
            _apply_edits(principal, thread, body(request))
        thread = _thread(principal, repo, index)
        return JsonResponse(_issue_json(thread), status=201)
    return JsonResponse(_issue_json(thread))


@csrf_exempt
@gitea_view
def issue_comments(request: HttpRequest, owner: str, name: str, index: str) -> HttpResponse:
    """An issue's comments (GET) or a new one (POST)."""
    principal, repo = repo_for(request, owner, name)
    thread = _thread(principal, repo, index)
    if request.method == "POST":
        made = threads.comment_add(
            actor=principal, thread=thread, body=str(body(request).get("body") or "")
        )
        return JsonResponse(shapes.comment(made), status=201)
    found = list(
        threads.comments(thread).filter(opening=False, hidden=False).select_related("author")
    )
    return JsonResponse([shapes.comment(c) for c in found], safe=False)


@csrf_exempt
@gitea_view
def issue_comment(request: HttpRequest, owner: str, name: str, comment_id: int) -> HttpResponse:
    """A comment (GET), edit it (PATCH, its author) or delete it (DELETE: hidden, its text
    kept in the edit history, by a maintainer or its author)."""
    principal, repo = repo_for(request, owner, name)
    found = (
        Comment.objects.select_related("thread__repository", "author")
        .filter(pk=comment_id, thread__repository=repo, opening=False, hidden=False)
        .first()
    )
    if found is None:
        raise NotFound("comment does not exist")
    thread = found.thread
    if request.method == "PATCH":
        made = threads.comment_edit(
            actor=principal,
            thread=thread,
            comment_id=found.pk,
            body=str(body(request).get("body") or ""),
        )
        return JsonResponse(shapes.comment(made))
    if request.method == "DELETE":
        threads.comment_hide(actor=principal, thread=thread, comment_id=found.pk)
        return HttpResponse(status=204)
    return JsonResponse(shapes.comment(found))


@csrf_exempt
@gitea_view
def labels(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """The repository's labels (GET) or a new one (POST: name, color, description; writers)."""
    principal, repo = repo_for(request, owner, name)
    if request.method == "POST":
        data = body(request)
        color = str(data.get("color") or "6e7781").lstrip("#")
        if len(color) != 6 or any(c not in "0123456789abcdefABCDEF" for c in color):
            raise InvalidInput("color must be a hex color such as #00aabb")
        made = threads.label_create(
            actor=principal,
            repo=repo,
            name=str(data.get("name") or ""),
            color="#" + color.lower(),
            description=str(data.get("description") or ""),
        )
        return JsonResponse(shapes.label(made), status=201)
    found = list(Label.objects.filter(repository=repo).select_related("repository__owner"))
    return paginate(request, found, shapes.label)


# -- pulls --------------------------------------------------------------------------------


def _pull(principal: Principal, repo: Repository, index: str) -> Thread:
    thread = _thread(principal, repo, index)
    if not thread.is_pull:
        raise NotFound("pull request does not exist")
    return thread


def _pull_json(principal: Principal, thread: Thread, *, detail: bool = True) -> dict[str, Any]:
    repo = thread.repository
    changes = pulls.changes(thread, with_diff=False)
    totals = (0, 0, 0)
    if detail and changes.head and changes.merge_base:
        files = gitmerge.file_changes(repo.git_path, changes.merge_base, changes.head)
        totals = (sum(f.additions for f in files), sum(f.deletions for f in files), len(files))
    return shapes.pull(
        thread,
        body=threads.opening(thread).body,
        comments=Comment.objects.filter(thread=thread, opening=False).count(),
        labels=list(thread.labels.all()),
        base_sha=changes.base or "",
        head_sha=changes.head or thread.head_sha,
        merge_base=changes.merge_base or "",
        mergeable=thread.state == Thread.State.OPEN and not changes.conflicts,
        level=repo_level(principal, repo),
        changes=totals,
    )


def _head_of_spec(principal: Principal, repo: Repository, head: object) -> tuple[Repository, str]:
    """Gitea's ``head``: ``branch`` or ``owner:branch`` (a fork's branch)."""
    if not isinstance(head, str) or not head.strip():
        raise InvalidInput("head is required")
    owner, sep, branch = head.strip().rpartition(":")
    if not sep or owner.lower() == repo.owner.name.lower():
        return repo, branch
    fork = Repository.objects.filter(owner__name_lower=owner.lower(), forked_from=repo).first()
    if fork is None or repo_level(principal, fork) < Level.READ:
        raise NotFound("head repository does not exist")
    return fork, branch


@csrf_exempt
@gitea_view
def pull_list(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    """List pull requests (GET: `state` open|closed|all) or open one (POST: head, base,
    title, body; `head` may be `owner:branch` of a fork)."""
    principal, repo = repo_for(request, owner, name)
    if request.method == "POST":
        data = body(request)
        head_repo, branch = _head_of_spec(principal, repo, data.get("head"))
        thread = pulls.open_pull(
            actor=principal,
            repo=repo,
            title=str(data.get("title") or ""),
            body=str(data.get("body") or ""),
            head_repo=head_repo,
            head_branch=branch,
            base_branch=str(data.get("base") or ""),
        )
        return JsonResponse(_pull_json(principal, thread), status=201)
    state = request.GET.get("state", "open")
    qs = threads.thread_list(
        actor=principal,
        repo=repo,
        kind=Thread.Kind.PULL,
        state=state if state in {"open", "closed"} else None,
    ).select_related("repository", "head_repository", "merged_by")
    if request.GET.get("milestone", "").strip():
        qs = threads.filter_milestones(qs, [request.GET["milestone"]])
    return paginate(
        request, qs.order_by("-number"), lambda t: _pull_json(principal, t, detail=False)
    )


@csrf_exempt
@gitea_view
def pull(request: HttpRequest, owner: str, name: str, index: str) -> HttpResponse:
    """A pull request (GET) or edit it (PATCH: title, body, state, labels, assignees)."""
    principal, repo = repo_for(request, owner, name)
    thread = _pull(principal, repo, index)
    if request.method == "PATCH":
        _apply_edits(principal, thread, body(request))
        thread = _pull(principal, repo, index)
        return JsonResponse(_pull_json(principal, thread), status=201)
    return JsonResponse(_pull_json(principal, thread))


@gitea_view
def pull_text(request: HttpRequest, owner: str, name: str, index: str, kind: str) -> HttpResponse:
    """The pull request as a unified diff (`.diff`) or as mails (`.patch`)."""
    principal, repo = repo_for(request, owner, name)
    thread = _pull(principal, repo, index)
    changes = pulls.changes(thread, with_diff=kind == "diff")
    text = changes.diff
    if kind == "patch" and changes.base and changes.head:
        text = gitmerge.format_patch(
            repo.git_path, changes.merge_base or changes.base, changes.head
        )
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@gitea_view
def pull_files(request: HttpRequest, owner: str, name: str, index: str) -> HttpResponse:
    """The files a pull request changes, with line counts."""
    principal, repo = repo_for(request, owner, name)
    thread = _pull(principal, repo, index)
    changes = pulls.changes(thread, with_diff=False)
    if not (changes.head and changes.merge_base):
        return paginate(request, [], lambda f: f)
    files = gitmerge.file_changes(repo.git_path, changes.merge_base, changes.head)
    head = changes.head
    return paginate(request, files, lambda f: shapes.changed_file(repo, head, f))


@gitea_view
def pull_commits(request: HttpRequest, owner: str, name: str, index: str) -> HttpResponse:
    """The commits a pull request brings, oldest first."""
    principal, repo = repo_for(request, owner, name)
    thread = _pull(principal, repo, index)
    found = pulls.changes(thread, with_diff=False).commits
    return paginate(request, found, lambda c: shapes.commit(repo, c))


@csrf_exempt
@gitea_view
def pull_merge(request: HttpRequest, owner: str, name: str, index: str) -> HttpResponse:
    """Merge a pull request (writers): `Do` merge | squash | rebase | fast-forward-only.

    405 while the branch protection blocks it (approvals, required status checks) or the pull
    request is closed; 409 for conflicts or a head or base that moved meanwhile."""
    principal, repo = repo_for(request, owner, name)
    thread = _pull(principal, repo, index)
    # Gitea decodes JSON field names case-insensitively: clients send "Do" or "do".
    data = {key.lower(): value for key, value in body(request).items()}
    strategy = STRATEGIES.get(str(data.get("do") or "merge"))
    if strategy is None:
        return error(422, "Do must be merge, squash, rebase or fast-forward-only")
    if thread.state != Thread.State.OPEN:
        return error(405, "The PR is already merged or closed")
    expected = data.get("head_commit_id") or None
    try:
        pulls.merge_pull(
            actor=principal,
            thread=thread,
            strategy=strategy,
            expected_head=expected if isinstance(expected, str) else None,
        )
    except pulls.AlreadyMerged as exc:
        return error(405, str(exc))
    except (pulls.MergeConflict, pulls.NotFastForward, pulls.RefConflict) as exc:
        return error(409, str(exc))
    return HttpResponse(status=200)


# -- reviews ------------------------------------------------------------------------------


@csrf_exempt
@gitea_view
def pull_reviews(request: HttpRequest, owner: str, name: str, index: str) -> HttpResponse:
    """A pull request's reviews (GET) or a new one (POST: `event` APPROVED | REQUEST_CHANGES
    | COMMENT, `body`, `comments` [{path, body, new_position}] anchored to the head)."""
    principal, repo = repo_for(request, owner, name)
    thread = _pull(principal, repo, index)
    head = pulls.head_of(thread)
    if request.method == "POST":
        data = body(request)
        state = REVIEW_EVENTS.get(str(data.get("event") or "COMMENT").upper())
        if state is None:
            return error(422, "event must be APPROVED, REQUEST_CHANGES or COMMENT")
        specs = data.get("comments") or []
        if not isinstance(specs, list) or not all(isinstance(c, dict) for c in specs):
            return error(422, "comments must be a list of objects")
        comments = [
            {"path": c.get("path"), "line": c.get("new_position"), "body": c.get("body")}
            for c in specs
        ]
        made = pulls.review(
            actor=principal,
            thread=thread,
            state=state,
            body=str(data.get("body") or ""),
            comments=comments,
        )
        return JsonResponse(shapes.review(made, head))
    found = list(
        Review.objects.filter(thread=thread).select_related("author", "thread__repository")
    )
    return paginate(request, found, lambda r: shapes.review(r, head))


@gitea_view
def pull_review(
    request: HttpRequest, owner: str, name: str, index: str, review_id: int
) -> HttpResponse:
    """One review of a pull request."""
    principal, repo = repo_for(request, owner, name)
    thread = _pull(principal, repo, index)
    found = Review.objects.filter(thread=thread, pk=review_id).select_related("author").first()
    if found is None:
        raise NotFound("review does not exist")
    return JsonResponse(shapes.review(found, pulls.head_of(thread)))
