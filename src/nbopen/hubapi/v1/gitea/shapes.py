"""Models as Gitea's JSON (field names and types of Gitea's swagger definitions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nbopen.accounts.models import User
from nbopen.collab import milestones, statuses
from nbopen.collab.issue_templates import IssueTemplate
from nbopen.collab.models import (
    Comment,
    CommitStatus,
    Label,
    Milestone,
    ProtectedBranch,
    Reaction,
    Review,
    Thread,
)
from nbopen.config.env import CONFIG
from nbopen.repos.models import Repository

EPOCH = "1970-01-01T00:00:00Z"


def site() -> str:
    return CONFIG.public_url.rstrip("/")


def when(value: datetime | None) -> str:
    return value.isoformat().replace("+00:00", "Z") if value is not None else EPOCH


def user(u: User | None) -> dict[str, Any] | None:
    if u is None:
        return None
    return {
        "id": u.pk,
        "login": u.username,
        "login_name": "",
        "source_id": 0,
        "full_name": u.display_name,
        "email": u.public_email or f"{u.username}@noreply.nbopen",
        "avatar_url": f"{site()}/avatars/{u.username}",
        "html_url": f"{site()}/{u.username}",
        "language": u.language,
        "is_admin": bool(u.is_superuser),
        "last_login": when(u.last_login),
        "created": when(u.date_joined),
        "restricted": False,
        "active": bool(u.is_active),
        "prohibit_login": not u.is_active,
        "location": u.location,
        "website": u.website,
        "description": u.bio,
        "visibility": "public",
        "followers_count": 0,
        "following_count": 0,
        "starred_repos_count": 0,
        "username": u.username,
    }


def protection(rule: ProtectedBranch) -> dict[str, Any]:
    return {
        "branch_name": rule.rule_name,
        "rule_name": rule.rule_name,
        "priority": rule.priority,
        "enable_push": rule.enable_push,
        "enable_push_whitelist": rule.enable_push_whitelist,
        "push_whitelist_usernames": rule.push_whitelist_usernames,
        "push_whitelist_teams": rule.push_whitelist_teams,
        "push_whitelist_deploy_keys": False,
        "enable_force_push": rule.enable_force_push,
        "enable_force_push_allowlist": False,
        "force_push_allowlist_usernames": [],
        "force_push_allowlist_teams": [],
        "force_push_allowlist_deploy_keys": False,
        "enable_merge_whitelist": rule.enable_merge_whitelist,
        "merge_whitelist_usernames": rule.merge_whitelist_usernames,
        "merge_whitelist_teams": rule.merge_whitelist_teams,
        "enable_status_check": rule.enable_status_check,
        "status_check_contexts": rule.status_check_contexts,
        "required_approvals": rule.required_approvals,
        "enable_approvals_whitelist": False,
        "approvals_whitelist_username": [],
        "approvals_whitelist_teams": [],
        "block_on_rejected_reviews": rule.block_on_rejected_reviews,
        "block_on_official_review_requests": False,
        "block_on_outdated_branch": rule.block_on_outdated_branch,
        "dismiss_stale_approvals": rule.dismiss_stale_approvals,
        "ignore_stale_approvals": False,
        "require_signed_commits": False,
        "protected_file_patterns": "",
        "unprotected_file_patterns": "",
        "created_at": when(rule.created_at),
        "updated_at": when(rule.updated_at),
    }


def status(s: CommitStatus) -> dict[str, Any]:
    return {
        "id": s.pk,
        # Gitea names the state "status"; "state" too, for tools written against GitHub.
        "status": s.state,
        "state": s.state,
        "target_url": s.target_url,
        "description": s.description,
        "url": f"{site()}/api/v1/repos/{s.repository.full_name}/statuses/{s.sha}",
        "context": s.context,
        "creator": user(s.creator),
        "created_at": when(s.created_at),
        "updated_at": when(s.updated_at),
    }


def combined(repo: Repository, sha: str, latest: list[CommitStatus]) -> dict[str, Any]:
    api = f"{site()}/api/v1/repos/{repo.full_name}"
    return {
        "state": statuses.combined_state(latest),
        "sha": sha,
        "total_count": len(latest),
        "statuses": [status(s) for s in latest],
        "repository": None,
        "commit_url": f"{api}/git/commits/{sha}",
        "url": f"{api}/commits/{sha}/status",
    }


def owner(repo: Repository) -> dict[str, Any]:
    """The owner as Gitea's User (an organization is a User with ``visibility`` too)."""
    ns = repo.owner
    if ns.user is not None:
        found = user(ns.user)
        assert found is not None
        return found
    org = ns.organization
    return {
        "id": -(org.pk if org is not None else 0),
        "login": ns.name,
        "login_name": "",
        "source_id": 0,
        "full_name": (org.display_name if org is not None else "") or ns.name,
        "email": "",
        "avatar_url": f"{site()}/avatars/{ns.name}",
        "html_url": f"{site()}/{ns.name}",
        "language": "",
        "is_admin": False,
        "last_login": EPOCH,
        "created": EPOCH,
        "restricted": False,
        "active": True,
        "prohibit_login": False,
        "location": "",
        "website": "",
        "description": "",
        "visibility": "public",
        "followers_count": 0,
        "following_count": 0,
        "starred_repos_count": 0,
        "username": ns.name,
    }


def repository(
    repo: Repository, level: int, counts: dict[str, int] | None = None
) -> dict[str, Any]:
    """Gitea's Repository; ``level`` is the caller's access (policy Level) for permissions."""
    counts = counts or {}
    web = f"{site()}{repo.web_path}"
    return {
        "id": repo.pk,
        "owner": owner(repo),
        "name": repo.name,
        "full_name": repo.full_name,
        "description": repo.description,
        "empty": False,
        "private": repo.private,
        "fork": repo.forked_from_id is not None,
        "template": False,
        "parent": None,
        "mirror": False,
        "size": 0,
        "language": "",
        "languages_url": f"{site()}/api/v1/repos/{repo.full_name}/languages",
        "html_url": web,
        "url": f"{site()}/api/v1/repos/{repo.full_name}",
        "link": "",
        "ssh_url": "",
        "clone_url": f"{web}.git",
        "original_url": "",
        "website": "",
        "stars_count": 0,
        "forks_count": 0,
        "watchers_count": 0,
        "open_issues_count": counts.get("issues", 0),
        "open_pr_counter": counts.get("pulls", 0),
        "release_counter": 0,
        "default_branch": repo.default_branch,
        "archived": False,
        "created_at": when(repo.created_at),
        "updated_at": when(repo.updated_at),
        "archived_at": EPOCH,
        "permissions": {"admin": level >= 3, "push": level >= 2, "pull": level >= 1},
        "has_issues": True,
        "has_wiki": False,
        "has_pull_requests": True,
        "has_projects": False,
        "has_releases": False,
        "has_packages": False,
        "has_actions": False,
        "ignore_whitespace_conflicts": False,
        "allow_merge_commits": True,
        "allow_rebase": True,
        "allow_rebase_explicit": False,
        "allow_squash_merge": True,
        "allow_fast_forward_only_merge": True,
        "allow_rebase_update": False,
        "default_delete_branch_after_merge": False,
        "default_merge_style": "merge",
        "default_allow_maintainer_edit": False,
        "avatar_url": "",
        "internal": False,
        "mirror_interval": "",
        "object_format_name": "sha1",
        "mirror_updated": EPOCH,
        "topics": [str(t) for t in repo.tags][:50],
        "licenses": [repo.license] if repo.license else [],
    }


def label(lab: Label) -> dict[str, Any]:
    if lab.repository is not None:
        url = f"{site()}/api/v1/repos/{lab.repository.full_name}/labels/{lab.pk}"
    else:
        org = lab.organization.name if lab.organization is not None else ""
        url = f"{site()}/api/v1/orgs/{org}/labels/{lab.pk}"
    return {
        "id": lab.pk,
        "name": lab.name,
        "exclusive": False,
        "is_archived": False,
        "color": lab.color.lstrip("#"),
        "description": lab.description,
        "url": url,
    }


def milestone(m: Milestone) -> dict[str, Any]:
    done = milestones.progress(m)
    return {
        "id": m.pk,
        "title": m.title,
        "description": m.description,
        "state": m.state,
        "open_issues": done.open,
        "closed_issues": done.closed,
        "created_at": when(m.created_at),
        "updated_at": when(m.updated_at),
        "closed_at": when(m.closed_at) if m.closed_at else None,
        "due_on": when(m.due_on) if m.due_on else None,
    }


def reaction(r: Reaction) -> dict[str, Any]:
    return {"user": user(r.user), "content": r.content, "created_at": when(r.created_at)}


def issue_template(t: IssueTemplate) -> dict[str, Any]:
    return {
        "name": t.name,
        "title": t.title,
        "about": t.about,
        "labels": t.labels,
        "assignees": t.assignees,
        "ref": t.ref,
        "content": t.content,
        "body": None,
        "file_name": t.file_name,
    }


def _repo_meta(repo: Repository) -> dict[str, Any]:
    return {"id": repo.pk, "name": repo.name, "owner": repo.owner.name, "full_name": repo.full_name}


def _state(thread: Thread) -> str:
    return "open" if thread.state == Thread.State.OPEN else "closed"


def issue(thread: Thread, body: str, comments: int, labels: list[Label]) -> dict[str, Any]:
    repo = thread.repository
    web = f"{site()}{repo.web_path}"
    section = "pulls" if thread.is_pull else "issues"
    assignees = [user(u) for u in thread.assignees.all()]
    return {
        "id": thread.pk,
        "url": f"{site()}/api/v1/repos/{repo.full_name}/issues/{thread.number}",
        "html_url": f"{web}/{section}/{thread.number}",
        "number": thread.number,
        "user": user(thread.author),
        "original_author": "",
        "original_author_id": 0,
        "title": thread.title,
        "body": body,
        "ref": "",
        "assets": [],
        "labels": [label(lab) for lab in labels],
        "milestone": milestone(thread.milestone) if thread.milestone is not None else None,
        "assignee": assignees[0] if assignees else None,
        "assignees": assignees or None,
        "state": _state(thread),
        "is_locked": thread.locked,
        "comments": comments,
        "created_at": when(thread.created_at),
        "updated_at": when(thread.updated_at),
        "closed_at": when(thread.closed_at) if thread.closed_at else None,
        "due_date": None,
        "pull_request": {
            "merged": thread.state == Thread.State.MERGED,
            "merged_at": when(thread.merged_at) if thread.merged_at else None,
            "draft": False,
            "html_url": f"{web}/pulls/{thread.number}",
        }
        if thread.is_pull
        else None,
        "repository": _repo_meta(repo),
        "pin_order": 1 if thread.pinned else 0,
    }


def branch_info(repo: Repository | None, ref: str, sha: str, level: int) -> dict[str, Any]:
    name = ref.removeprefix("refs/heads/")
    return {
        "label": name,
        "ref": name,
        "sha": sha,
        "repo_id": repo.pk if repo is not None else 0,
        "repo": repository(repo, level) if repo is not None else None,
    }


def pull(
    thread: Thread,
    *,
    body: str,
    comments: int,
    labels: list[Label],
    base_sha: str,
    head_sha: str,
    merge_base: str,
    mergeable: bool,
    level: int,
    changes: tuple[int, int, int] = (0, 0, 0),
) -> dict[str, Any]:
    repo = thread.repository
    web = f"{site()}{repo.web_path}/pulls/{thread.number}"
    data = issue(thread, body, comments, labels)
    for key in ("pull_request", "repository", "original_author", "original_author_id", "ref"):
        data.pop(key)
    data.pop("assets")
    additions, deletions, files = changes
    data.update(
        {
            "url": web,
            "html_url": web,
            "diff_url": f"{web}.diff",
            "patch_url": f"{web}.patch",
            "requested_reviewers": None,
            "requested_reviewers_teams": None,
            "draft": False,
            "review_comments": thread.review_comments.count(),
            "additions": additions,
            "deletions": deletions,
            "changed_files": files,
            "mergeable": mergeable,
            "merged": thread.state == Thread.State.MERGED,
            "merged_at": when(thread.merged_at) if thread.merged_at else None,
            "merge_commit_sha": thread.merge_commit or None,
            "merged_by": user(thread.merged_by),
            "allow_maintainer_edit": False,
            "base": branch_info(repo, thread.base_branch, base_sha, level),
            "head": branch_info(thread.head_repository, thread.head_ref, head_sha, level),
            "merge_base": merge_base,
            "flow": 0,
        }
    )
    return data


def comment(c: Comment) -> dict[str, Any]:
    thread = c.thread
    repo = thread.repository
    api = f"{site()}/api/v1/repos/{repo.full_name}"
    web = f"{site()}{repo.web_path}/{'pulls' if thread.is_pull else 'issues'}/{thread.number}"
    return {
        "id": c.pk,
        "html_url": f"{web}#comment-{c.pk}",
        "pull_request_url": web if thread.is_pull else "",
        "issue_url": f"{api}/issues/{thread.number}",
        "user": user(c.author),
        "original_author": "",
        "original_author_id": 0,
        "body": c.body,
        "assets": [],
        "created_at": when(c.created_at),
        "updated_at": when(c.updated_at),
    }


REVIEW_STATES = {
    Review.State.APPROVED: "APPROVED",
    Review.State.CHANGES_REQUESTED: "REQUEST_CHANGES",
    Review.State.COMMENTED: "COMMENT",
}


def review(r: Review, head: str | None) -> dict[str, Any]:
    thread = r.thread
    web = f"{site()}{thread.repository.web_path}/pulls/{thread.number}"
    return {
        "id": r.pk,
        "user": user(r.author),
        "team": None,
        "state": REVIEW_STATES[Review.State(r.state)],
        "body": r.body,
        "commit_id": r.commit_sha,
        "stale": head is not None and r.commit_sha != head,
        "official": r.state != Review.State.COMMENTED,
        "dismissed": False,
        "comments_count": r.comments.count(),
        "submitted_at": when(r.created_at),
        "updated_at": when(r.created_at),
        "html_url": f"{web}#review-{r.pk}",
        "pull_request_url": web,
    }


def commit(repo: Repository, c: Any) -> dict[str, Any]:
    api = f"{site()}/api/v1/repos/{repo.full_name}"
    person = {"name": c.author_name, "email": c.author_email, "date": when(c.authored_at)}
    committer = {"name": c.committer_name, "email": "", "date": when(c.committed_at)}
    return {
        "url": f"{api}/git/commits/{c.sha}",
        "sha": c.sha,
        "created": when(c.committed_at),
        "html_url": f"{site()}{repo.web_path}/commit/{c.sha}",
        "commit": {
            "url": f"{api}/git/commits/{c.sha}",
            "author": person,
            "committer": committer,
            "message": c.message,
            "tree": None,
            "verification": None,
        },
        "author": None,
        "committer": None,
        "parents": [
            {"url": f"{api}/git/commits/{p}", "sha": p, "created": when(c.committed_at)}
            for p in c.parents
        ],
        "files": None,
        "stats": None,
    }


def changed_file(repo: Repository, head: str, f: Any) -> dict[str, Any]:
    web = f"{site()}{repo.web_path}"
    return {
        "filename": f.path,
        "previous_filename": "",
        "status": f.status,
        "additions": f.additions,
        "deletions": f.deletions,
        "changes": f.additions + f.deletions,
        "html_url": f"{web}/blob/{head}/{f.path}",
        "contents_url": f"{site()}/api/v1/repos/{repo.full_name}/contents/{f.path}?ref={head}",
        "raw_url": f"{web}/raw/{head}/{f.path}",
    }
