"""Models as Gitea's JSON (field names and types of Gitea's swagger definitions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nbopen.accounts.models import User
from nbopen.collab import statuses
from nbopen.collab.models import CommitStatus, ProtectedBranch
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
