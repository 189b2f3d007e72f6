"""Protected branches: who may push to, force-push, delete and merge into a branch.

One rule set, checked on every channel: the write service (Hub commits, web edits and
uploads, branch and ref changes: :func:`check_update`), git pushes (the ``pre-receive``
hook gets the rules already resolved for the pusher, :func:`hook_env`, and
:mod:`.prereceive` applies them without Django), and merges (:func:`merge_blockers`, which
the pull request's merge and the web's merge box both read). Rules match branch names by
glob, as Gitea's do; an exact name wins over a pattern, then the lowest ``priority``.
"""

from __future__ import annotations

import fnmatch
import json
import os
import sys
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

import nbopen
from nbopen.access.policy import Level, Principal, repo_level, require_repo
from nbopen.accounts.models import User
from nbopen.collab.models import CommitStatus, ProtectedBranch, Review, Thread
from nbopen.config.env import CONFIG
from nbopen.core import events
from nbopen.core.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
from nbopen.orgs.models import TeamMember
from nbopen.repos.git import bare
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.git import merge as gitmerge
from nbopen.repos.models import Repository

HEADS = "refs/heads/"
BOOL_FIELDS = (
    "enable_push",
    "enable_push_whitelist",
    "enable_force_push",
    "enable_merge_whitelist",
    "enable_status_check",
    "block_on_rejected_reviews",
    "block_on_outdated_branch",
    "dismiss_stale_approvals",
)
LIST_FIELDS = (
    "push_whitelist_usernames",
    "push_whitelist_teams",
    "merge_whitelist_usernames",
    "merge_whitelist_teams",
    "status_check_contexts",
)

# The sentences a refused git push prints (``remote: …``), translated for the pusher.
PUSH_REFUSED = gettext_noop(
    "Branch %(branch)s is protected: direct pushes are not allowed; open a pull request"
)
FORCE_REFUSED = gettext_noop("Branch %(branch)s is protected: force pushes are not allowed")
DELETE_REFUSED = gettext_noop("Branch %(branch)s is protected and cannot be deleted")
# refs/pull/N/head is the server's copy of a pull request's head (pulls.follow_head moves
# it, below this check): a client writing it would change what reviewers see and merge.
PULL_REF_REFUSED = gettext_noop(
    "%(ref)s is kept by the server for pull requests and cannot be pushed to; "
    "push a branch and open a pull request instead"
)
PULL_REFS = "refs/pull/"


class BranchProtected(PermissionDenied):
    """A write a protection rule forbids (the message names the branch and the rule)."""

    code = "BranchProtected"


class MergeBlocked(InvalidInput):
    """The merge waits for approvals, status checks or a listed merger; ``reasons`` lists
    them (the API answers 405 like Gitea, the web disables the merge button with them)."""

    code = "MergeBlocked"

    def __init__(self, reasons: list[tuple[str, dict[str, object]]]) -> None:
        english = "; ".join(
            template % params if params else template for template, params in reasons
        )
        super().__init__(gettext_noop("Not allowed to merge: %(reasons)s"), reasons=english)
        self.reasons = reasons


def rules(repo: Repository) -> list[ProtectedBranch]:
    return list(ProtectedBranch.objects.filter(repository=repo))


def match(candidates: list[ProtectedBranch], branch: str) -> ProtectedBranch | None:
    """The rule that governs ``branch``: its exact name, else the first matching glob."""
    for rule in candidates:
        if rule.rule_name == branch:
            return rule
    for rule in candidates:
        if fnmatch.fnmatchcase(branch, rule.rule_name):
            return rule
    return None


def rule_for(repo: Repository, branch: str) -> ProtectedBranch | None:
    return match(rules(repo), branch)


def _listed(user: User | None, names: list[str], teams: list[str], repo: Repository) -> bool:
    if user is None:
        return False
    if user.username.lower() in {str(n).lower() for n in names}:
        return True
    if not teams or repo.owner.organization_id is None:
        return False
    return TeamMember.objects.filter(
        user=user,
        team__organization_id=repo.owner.organization_id,
        team__name_lower__in=[str(t).lower() for t in teams],
    ).exists()


def may_push(rule: ProtectedBranch, user: User | None, repo: Repository) -> bool:
    """Direct pushes to a branch of ``rule`` (the caller already has write)."""
    if not rule.enable_push:
        return False
    if rule.enable_push_whitelist:
        return _listed(user, rule.push_whitelist_usernames, rule.push_whitelist_teams, repo)
    return True


def check_update(
    *, repo: Repository, actor: User | None, ref: str, old: str | None, new: str | None
) -> None:
    """Refuse (:class:`BranchProtected`) a ref change the rules forbid: a deletion, a
    force push (``new`` not a descendant of ``old``), a direct push. The write service calls
    it for every change it makes on a person's behalf; merges pass their own check.
    ``refs/pull/*`` is refused to everyone: only the server moves a pull request's head."""
    if ref.startswith(PULL_REFS):
        raise BranchProtected(PULL_REF_REFUSED, ref=ref)
    branch = ref.removeprefix(HEADS) if ref.startswith(HEADS) else ref
    if branch.startswith("refs/"):
        return
    rule = rule_for(repo, branch)
    if rule is None:
        return
    if new is None:
        raise BranchProtected(DELETE_REFUSED, branch=branch)
    if old and not rule.enable_force_push and not gitmerge.is_ancestor(repo.git_path, old, new):
        raise BranchProtected(FORCE_REFUSED, branch=branch)
    if not may_push(rule, actor, repo):
        raise BranchProtected(PUSH_REFUSED, branch=branch)


def hook_env(repo: Repository, user: User | None, language: str | None) -> dict[str, str]:
    """Environment for ``git receive-pack``: the rules resolved for ``user`` (patterns, may
    push, may force) and the refusals in the pusher's language, for :mod:`.prereceive`."""
    found = rules(repo)
    if not found:
        return {}
    # The shared hooks are rewritten when a repository is created; a server upgraded since
    # the last creation would otherwise still run a pre-receive hook without this step.
    bare.install_hooks(CONFIG.data_dir / "hooks")
    with translation.override(language or "zh-hans"):
        messages = {
            "push": gettext(PUSH_REFUSED),
            "force": gettext(FORCE_REFUSED),
            "delete": gettext(DELETE_REFUSED),
        }
    resolved = [
        {
            "name": rule.rule_name,
            "push": may_push(rule, user, repo),
            "force": rule.enable_force_push,
        }
        for rule in found
    ]
    src = str(Path(nbopen.__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return {
        "NBOPEN_PROTECTED": sys.executable,
        "NBOPEN_PROTECTION": json.dumps({"rules": resolved, "messages": messages}),
        "PYTHONPATH": path,
    }


def pull_refs_env(language: str | None) -> dict[str, str]:
    """Environment for ``git receive-pack``: the refusal of a push to ``refs/pull/*`` in the
    pusher's language (the shared pre-receive hook puts the ref where ``@REF@`` is).
    The hooks are rewritten if an older server wrote them (one small file read per push)."""
    bare.install_hooks(CONFIG.data_dir / "hooks")
    with translation.override(language or "zh-hans"):
        return {"NBOPEN_PULL_REFUSED": gettext(PULL_REF_REFUSED) % {"ref": "@REF@"}}


def pusher_language(user: User | None, accept_language: str | None) -> str:
    """The pusher's language: their preference, else the one git sends, else Chinese."""
    if user is not None and user.language:
        return user.language
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh-hans"
    return "zh-hans"


# -- merges -------------------------------------------------------------------------------


def writers_among(repo: Repository, users: list[User]) -> set[int]:
    """The ids of ``users`` with write access to ``repo`` now (owner, organization role,
    team or collaborator grant). Only their reviews are *official*: anyone who can read a
    public repository may approve, and counting that would let a stranger (or a second
    account) satisfy a required-approvals rule (Gitea counts only "official" reviews too)."""
    return {
        user.pk
        for user in users
        if user.is_active and repo_level(Principal(user=user), repo) >= Level.WRITE
    }


def approvals(thread: Thread, rule: ProtectedBranch, head: str | None) -> tuple[int, bool]:
    """(approvals counted, changes requested): each reviewer's latest approving or
    rejecting review, from reviewers with write access (:func:`writers_among`); with
    ``dismiss_stale_approvals`` only approvals at the current head count."""
    latest: dict[int | None, Review] = {}
    reviews = Review.objects.filter(thread=thread).exclude(state=Review.State.COMMENTED)
    for review in reviews.select_related("author"):
        latest[review.author_id] = review
    official = writers_among(
        thread.repository, [r.author for r in latest.values() if r.author is not None]
    )
    counted = [r for r in latest.values() if r.author_id in official]
    count = sum(
        1
        for r in counted
        if r.state == Review.State.APPROVED
        and (not rule.dismiss_stale_approvals or r.commit_sha == head)
    )
    rejected = any(r.state == Review.State.CHANGES_REQUESTED for r in counted)
    return count, rejected


def latest_statuses(repo: Repository, sha: str) -> dict[str, CommitStatus]:
    """context → the latest status posted for commit ``sha``."""
    found: dict[str, CommitStatus] = {}
    for status in CommitStatus.objects.filter(repository=repo, sha=sha).order_by("-id"):
        found.setdefault(status.context, status)
    return found


Reason = tuple[str, dict[str, object]]


def merge_blockers(thread: Thread, actor: Principal, head: str | None) -> list[Reason]:
    """Why ``actor`` may not merge ``thread`` yet under its base branch's rule: English
    templates and their parameters (the web translates them); empty: nothing blocks."""
    repo = thread.repository
    rule = rule_for(repo, thread.base_branch)
    if rule is None:
        return []
    reasons: list[Reason] = []
    if rule.enable_merge_whitelist and not _listed(
        actor.user, rule.merge_whitelist_usernames, rule.merge_whitelist_teams, repo
    ):
        reasons.append(
            (gettext_noop("You are not allowed to merge into this protected branch"), {})
        )
    count, rejected = approvals(thread, rule, head)
    if count < rule.required_approvals:
        reasons.append(
            (
                gettext_noop("%(have)s of %(need)s required approvals"),
                {"have": count, "need": rule.required_approvals},
            )
        )
    if rule.block_on_rejected_reviews and rejected:
        reasons.append((gettext_noop("Changes were requested by a reviewer"), {}))
    if rule.enable_status_check and head is not None:
        latest = latest_statuses(repo, head)
        for pattern in rule.status_check_contexts:
            hits = [s for ctx, s in latest.items() if fnmatch.fnmatchcase(ctx, str(pattern))]
            if not hits or any(s.state != CommitStatus.State.SUCCESS for s in hits):
                reasons.append(
                    (
                        gettext_noop("Required status check %(context)s is not successful"),
                        {"context": pattern},
                    )
                )
    if rule.block_on_outdated_branch and head is not None:
        base = gitcommit.branch_head(repo.git_path, thread.base_branch)
        if base is not None and not gitmerge.is_ancestor(repo.git_path, base, head):
            reasons.append((gettext_noop("The head branch is behind the base branch"), {}))
    return reasons


def check_merge(thread: Thread, actor: Principal, head: str | None) -> None:
    reasons = merge_blockers(thread, actor, head)
    if reasons:
        raise MergeBlocked(reasons)


# -- settings -----------------------------------------------------------------------------


def clean(data: dict[str, Any], rule: ProtectedBranch) -> None:
    """Apply Gitea-shaped fields to ``rule`` (unknown fields are ignored, as Gitea does)."""
    name = data.get("rule_name") or data.get("branch_name")
    if name is not None:
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise InvalidInput(gettext_noop("rule_name must be a branch name or glob"))
        rule.rule_name = name.strip()
    for key in BOOL_FIELDS:
        if key in data:
            if not isinstance(data[key], bool):
                raise InvalidInput(gettext_noop("%(field)s must be true or false"), field=key)
            setattr(rule, key, data[key])
    for key in LIST_FIELDS:
        if key in data:
            value = data[key] if data[key] is not None else []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InvalidInput(gettext_noop("%(field)s must be a list of names"), field=key)
            setattr(rule, key, [v.strip() for v in value if v.strip()][:100])
    for key in ("required_approvals", "priority"):
        if key in data:
            value = data[key]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000:
                raise InvalidInput(gettext_noop("%(field)s must be a number"), field=key)
            setattr(rule, key, value)


@transaction.atomic
def save_rule(
    *, actor: Principal, repo: Repository, data: dict[str, Any], name: str | None = None
) -> ProtectedBranch:
    """Create (``name`` None) or change the rule named ``name`` (admins only)."""
    require_repo(actor, repo, Level.ADMIN)
    if name is None:
        rule = ProtectedBranch(repository=repo)
        if not (data.get("rule_name") or data.get("branch_name")):
            raise InvalidInput(gettext_noop("rule_name must be a branch name or glob"))
    else:
        rule = get_rule(actor=actor, repo=repo, name=name)
    before = rule.rule_name
    clean(data, rule)
    clash = ProtectedBranch.objects.filter(repository=repo, rule_name=rule.rule_name)
    if rule.pk is not None:
        clash = clash.exclude(pk=rule.pk)
    if clash.exists():
        raise AlreadyExists(
            gettext_noop("Branch protection %(name)s already exists"), name=rule.rule_name
        )
    rule.save()
    events.record(
        "repo.protection",
        actor=actor.user,
        repository=repo,
        payload={
            "action": "created" if name is None else "edited",
            "rule": rule.rule_name,
            "was": before,
        },
    )
    return rule


def get_rule(*, actor: Principal, repo: Repository, name: str) -> ProtectedBranch:
    require_repo(actor, repo, Level.READ)
    rule = ProtectedBranch.objects.filter(repository=repo, rule_name=name).first()
    if rule is None:
        raise NotFound(gettext_noop("Branch protection %(name)s not found"), name=name)
    return rule


def list_rules(*, actor: Principal, repo: Repository) -> list[ProtectedBranch]:
    require_repo(actor, repo, Level.READ)
    return rules(repo)


@transaction.atomic
def delete_rule(*, actor: Principal, repo: Repository, name: str) -> None:
    require_repo(actor, repo, Level.ADMIN)
    rule = get_rule(actor=actor, repo=repo, name=name)
    rule.delete()
    events.record(
        "repo.protection",
        actor=actor.user,
        repository=repo,
        payload={"action": "deleted", "rule": name},
    )


def may_administer(actor: Principal, repo: Repository) -> bool:
    return repo_level(actor, repo) >= Level.ADMIN
