"""Event payloads in Gitea's shapes (``modules/structs/hook.go``), so receivers written for
Gitea (CI systems, chat bots) read NBopen's hooks unchanged. Built from the event log's row and
the current state of the thread it names."""

from __future__ import annotations

from typing import Any

from nbopen.accounts.models import User
from nbopen.collab import milestones
from nbopen.collab.models import Comment, Review, Thread
from nbopen.config.env import CONFIG
from nbopen.core.models import Event
from nbopen.repos.git import merge, read
from nbopen.repos.models import Repository

ZERO = "0" * 40


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def user_json(user: User | None, fallback: str = "") -> dict[str, Any]:
    login = user.username if user is not None else fallback
    return {
        "id": user.pk if user is not None else 0,
        "login": login,
        "login_name": "",
        "full_name": (user.display_name if user is not None else "") or "",
        "email": "",
        "avatar_url": "",
        "html_url": f"{CONFIG.public_url}/{login}" if login else "",
        "username": login,
    }


def repo_json(repo: Repository) -> dict[str, Any]:
    owner = repo.owner
    html = f"{CONFIG.public_url}/{repo.full_name}"
    return {
        "id": repo.pk,
        "owner": {
            "id": owner.pk,
            "login": owner.name,
            "username": owner.name,
            "full_name": "",
            "email": "",
            "avatar_url": "",
        },
        "name": repo.name,
        "full_name": repo.full_name,
        "description": repo.description,
        "empty": False,
        "private": repo.private,
        "fork": bool(getattr(repo, "forked_from_id", None)),
        "html_url": html,
        "clone_url": f"{html}.git",
        "default_branch": repo.default_branch,
        "created_at": _iso(repo.created_at),
        "updated_at": _iso(repo.updated_at),
    }


def _labels(thread: Thread) -> list[dict[str, Any]]:
    return [
        {"id": lb.pk, "name": lb.name, "color": lb.color.lstrip("#"), "description": lb.description}
        for lb in thread.labels.all()
    ]


def _milestone(thread: Thread) -> dict[str, Any] | None:
    """Gitea's Milestone of the thread (counts as read now), or None."""
    found = thread.milestone
    if found is None:
        return None
    done = milestones.progress(found)
    return {
        "id": found.pk,
        "title": found.title,
        "description": found.description,
        "state": found.state,
        "open_issues": done.open,
        "closed_issues": done.closed,
        "created_at": _iso(found.created_at),
        "updated_at": _iso(found.updated_at),
        "closed_at": _iso(found.closed_at) if found.closed_at else None,
        "due_on": _iso(found.due_on) if found.due_on else None,
    }


def _state(thread: Thread) -> str:
    return "open" if thread.state == Thread.State.OPEN else "closed"


def _opening_body(thread: Thread) -> str:
    c = Comment.objects.filter(thread=thread, opening=True).only("body").first()
    return c.body if c is not None else ""


def issue_json(thread: Thread) -> dict[str, Any]:
    html = f"{CONFIG.public_url}/{thread.repository.full_name}/issues/{thread.number}"
    assignees = [user_json(u) for u in thread.assignees.all()]
    data: dict[str, Any] = {
        "id": thread.pk,
        "url": html,
        "html_url": html,
        "number": thread.number,
        "user": user_json(thread.author),
        "title": thread.title,
        "body": _opening_body(thread),
        "labels": _labels(thread),
        "milestone": _milestone(thread),
        "assignee": assignees[0] if assignees else None,
        "assignees": assignees or None,
        "state": _state(thread),
        "is_locked": thread.locked,
        "comments": Comment.objects.filter(thread=thread, opening=False).count(),
        "created_at": _iso(thread.created_at),
        "updated_at": _iso(thread.updated_at),
        "closed_at": _iso(thread.closed_at),
        "pull_request": None,
        "repository": {
            "id": thread.repository_id,
            "name": thread.repository.name,
            "owner": thread.repository.owner.name,
            "full_name": thread.repository.full_name,
        },
    }
    if thread.is_pull:
        data["pull_request"] = {
            "merged": thread.merged_at is not None,
            "merged_at": _iso(thread.merged_at),
        }
    return data


def pull_json(thread: Thread) -> dict[str, Any]:
    repo = thread.repository
    html = f"{CONFIG.public_url}/{repo.full_name}/pulls/{thread.number}"
    head_repo = thread.head_repository or repo
    base_sha = read.resolve(repo.git_path, thread.base_branch) if thread.base_branch else None
    data = issue_json(thread)
    data.pop("repository", None)
    data.pop("pull_request", None)
    data.update(
        {
            "url": html,
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "mergeable": thread.state == Thread.State.OPEN,
            "merged": thread.merged_at is not None,
            "merged_at": _iso(thread.merged_at),
            "merge_commit_sha": thread.merge_commit or None,
            "merged_by": user_json(thread.merged_by) if thread.merged_by else None,
            "draft": bool(getattr(thread, "draft", False)),
            "base": {
                "label": thread.base_branch,
                "ref": thread.base_branch,
                "sha": base_sha or "",
                "repo_id": repo.pk,
                "repo": repo_json(repo),
            },
            "head": {
                "label": thread.head_ref,
                "ref": thread.head_ref,
                "sha": thread.head_sha,
                "repo_id": head_repo.pk,
                "repo": repo_json(head_repo),
            },
        }
    )
    return data


def comment_json(comment: Comment) -> dict[str, Any]:
    thread = comment.thread
    base = f"{CONFIG.public_url}/{thread.repository.full_name}"
    kind = "pulls" if thread.is_pull else "issues"
    return {
        "id": comment.pk,
        "html_url": f"{base}/{kind}/{thread.number}#issuecomment-{comment.pk}",
        "pull_request_url": f"{base}/pulls/{thread.number}" if thread.is_pull else "",
        "issue_url": f"{base}/issues/{thread.number}",
        "user": user_json(comment.author),
        "original_author": "",
        "original_author_id": 0,
        "body": comment.body,
        "created_at": _iso(comment.created_at),
        "updated_at": _iso(comment.updated_at),
    }


def commit_json(repo: Repository, c: read.Commit) -> dict[str, Any]:
    return {
        "id": c.sha,
        "message": c.message,
        "url": f"{CONFIG.public_url}/{repo.full_name}/commit/{c.sha}",
        "author": {"name": c.author_name, "email": c.author_email, "username": ""},
        "committer": {"name": c.committer_name, "email": "", "username": ""},
        "verification": None,
        "timestamp": _iso(c.authored_at),
        "added": [],
        "removed": [],
        "modified": [],
    }


def push_payload(
    event: Event, repo: Repository, ref: str, old: str, new: str, pusher: dict[str, Any]
) -> dict[str, Any]:
    """``PushPayload``: the commits ``new`` adds over ``old`` (at most 20, oldest first, as
    Gitea's ``webhook.PayloadCommitsLimit`` hints)."""
    if old.strip("0"):
        found = merge.commits_between(repo.git_path, old, new, limit=20)
    else:
        found = list(reversed(read.log(repo.git_path, new, limit=20)))
    commits = [commit_json(repo, c) for c in found]
    html = f"{CONFIG.public_url}/{repo.full_name}"
    return {
        "ref": ref,
        "before": old,
        "after": new,
        "compare_url": f"{html}/compare/{old}...{new}" if old.strip("0") else "",
        "commits": commits,
        "total_commits": len(commits),
        "head_commit": commits[-1] if commits else None,
        "repository": repo_json(repo),
        "pusher": pusher,
        "sender": pusher,
    }


ISSUE_ACTIONS = {
    "open": "opened",
    "close": "closed",
    "reopen": "reopened",
    "merge": "closed",
    "assign": "assigned",
    "review_request": "review_requested",
}


def _review_event(state: str) -> str:
    names: dict[str, str] = {
        Review.State.APPROVED.value: "pull_request_review_approved",
        Review.State.CHANGES_REQUESTED.value: "pull_request_review_rejected",
    }
    return names.get(state, "pull_request_review_comment")


def build(event: Event) -> list[tuple[str, str, dict[str, Any]]]:
    """``[(subscription, X-Gitea-Event, payload)]`` for one event (a push may name several
    refs, so several payloads); empty for events hooks do not carry."""
    repo = (
        Repository.objects.select_related("owner").filter(pk=event.repository_id).first()
        if event.repository_id
        else None
    )
    actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
    sender = user_json(actor, event.actor_name)
    kind, p = event.kind, event.payload or {}
    if repo is None:
        return []
    out: list[tuple[str, str, dict[str, Any]]] = []
    if kind == "repo.push":
        for upd in p.get("refs", []):
            ref, old, new = upd.get("ref", ""), upd.get("old", ZERO), upd.get("new", ZERO)
            ref_type = "tag" if ref.startswith("refs/tags/") else "branch"
            short = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
            if not new.strip("0"):
                out.append(("delete", "delete", _ref_payload(repo, short, ref_type, sender)))
                continue
            if not old.strip("0"):
                created = _ref_payload(repo, short, ref_type, sender) | {"sha": new}
                out.append(("create", "create", created))
            out.append(("push", "push", push_payload(event, repo, ref, old, new, sender)))
        return out
    if kind in {"repo.branch.create", "repo.tag.create"}:
        ref_type = "tag" if kind == "repo.tag.create" else "branch"
        name = p.get(ref_type, "")
        payload = _ref_payload(repo, name, ref_type, sender) | {"sha": p.get("target", "")}
        return [("create", "create", payload)]
    if kind == "repo.branch.delete":
        return [("delete", "delete", _ref_payload(repo, p.get("branch", ""), "branch", sender))]
    if kind in {"repo.create", "repo.delete"}:
        action = "created" if kind == "repo.create" else "deleted"
        payload = {
            "action": action,
            "repository": repo_json(repo),
            "organization": repo_json(repo)["owner"],
            "sender": sender,
        }
        return [("repository", "repository", payload)]
    thread = (
        Thread.objects.select_related("repository__owner", "author", "merged_by", "head_repository")
        .filter(pk=int(p.get("issue_id") or 0))
        .first()
    )
    if thread is None:
        return []
    prefix, _, action = kind.partition(".")
    if prefix == "issue" and action in ISSUE_ACTIONS:
        payload = {
            "action": ISSUE_ACTIONS[action],
            "number": thread.number,
            "issue": issue_json(thread),
            "repository": repo_json(repo),
            "sender": sender,
        }
        return [("issues", "issues", payload)]
    if kind == "issue.comment":
        comment = (
            Comment.objects.filter(pk=int(p.get("comment_id") or 0))
            .select_related("author")
            .first()
        )
        if comment is None:
            return []
        payload = {
            "action": "created",
            "issue": issue_json(thread),
            "comment": comment_json(comment),
            "repository": repo_json(repo),
            "sender": sender,
            "is_pull": thread.is_pull,
        }
        if thread.is_pull:
            payload["pull_request"] = pull_json(thread)
        gitea = "pull_request_comment" if thread.is_pull else "issue_comment"
        return [("issue_comment", gitea, payload)]
    if prefix == "pull" and action in ISSUE_ACTIONS:
        payload = {
            "action": ISSUE_ACTIONS[action],
            "number": thread.number,
            "pull_request": pull_json(thread),
            "repository": repo_json(repo),
            "sender": sender,
            "commit_id": thread.merge_commit if action == "merge" else "",
            "requested_reviewer": None,
        }
        if action == "review_request" and p.get("reviewer_ids"):
            reviewer = User.objects.filter(pk=int(p["reviewer_ids"][0])).first()
            payload["requested_reviewer"] = user_json(reviewer) if reviewer else None
        return [("pull_request", "pull_request", payload)]
    if kind == "pull.review":
        review = Review.objects.filter(pk=int(p.get("review_id") or 0)).first()
        state = review.state if review is not None else p.get("state", "")
        gitea = _review_event(state)
        payload = {
            "action": "reviewed",
            "number": thread.number,
            "pull_request": pull_json(thread),
            "repository": repo_json(repo),
            "sender": sender,
            "commit_id": review.commit_sha if review is not None else "",
            "review": {"type": gitea, "content": review.body if review is not None else ""},
        }
        return [("pull_request_review", gitea, payload)]
    return []


def _ref_payload(
    repo: Repository, ref: str, ref_type: str, sender: dict[str, Any]
) -> dict[str, Any]:
    return {
        "ref": ref,
        "ref_type": ref_type,
        "pusher_type": "user",
        "repository": repo_json(repo),
        "sender": sender,
    }


#: Event kinds (prefixes) of the event log that can produce a hook payload.
KINDS = (
    "repo.push",
    "repo.branch.",
    "repo.tag.create",
    "repo.create",
    "repo.delete",
    "issue.",
    "pull.",
)
