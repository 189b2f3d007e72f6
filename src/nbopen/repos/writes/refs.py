"""Branches and tags: created, moved and deleted by compare-and-swap, then announced.

Used by the Hub's branch/tag routes, the Parquet ref and anything else that moves a ref
without a new commit. Every change runs :func:`.after_update.after_update` with the event
kind the Hub routes always recorded (``repo.branch.create`` …).
"""

from __future__ import annotations

from pathlib import Path

from nbopen.accounts.models import User
from nbopen.collab import protection
from nbopen.repos.git import bare, names
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.models import Repository
from nbopen.repos.writes.after_update import RefUpdate, after_update
from nbopen.repos.writes.commits import author_of

ZERO_SHA = gitcommit.ZERO_SHA
RefConflict = gitcommit.RefConflict
BranchProtected = protection.BranchProtected


class RefNotFound(gitcommit.GitError):
    """The branch or tag to delete does not exist."""


valid_ref_name = names.valid_ref_name
ref_name_problem = names.ref_name_problem


class InvalidRefName(gitcommit.GitError):
    """A branch or tag name git (or NBopen: ``HEAD``) refuses."""


def _check_name(name: str, kind: str) -> None:
    problem = names.ref_name_problem(name)
    if problem is not None:
        raise InvalidRefName(f"Invalid {kind} name: {problem}")


def set_ref(
    *,
    repo: Repository,
    actor: User | None,
    ref: str,
    new: str,
    old: str | None,
    kind: str | None,
    payload: dict[str, object] | None = None,
) -> None:
    """Move ``ref`` from ``old`` (None: must not exist) to ``new``; :class:`RefConflict`
    if it is elsewhere. ``kind``/``payload`` name the event (see ``after_update``);
    :class:`~nbopen.collab.protection.BranchProtected` if a protected branch forbids it."""
    protection.check_update(repo=repo, actor=actor, ref=ref, old=old, new=new)
    gitcommit.update_ref(repo.git_path, ref, new, old)
    after_update(
        repo_id=repo.pk,
        actor=actor,
        updates=[RefUpdate(old or ZERO_SHA, new, ref)],
        kind=kind,
        payload=payload,
    )


def delete_ref(
    *, repo: Repository, actor: User | None, ref: str, kind: str, payload: dict[str, object]
) -> None:
    """Delete ``ref`` (:class:`RefNotFound` if absent, :class:`RefConflict` if it moved)."""
    current = gitcommit.ref_target(repo.git_path, ref)
    if current is None:
        raise RefNotFound(ref)
    protection.check_update(repo=repo, actor=actor, ref=ref, old=current, new=None)
    gitcommit.delete_ref(repo.git_path, ref, current)
    after_update(
        repo_id=repo.pk,
        actor=actor,
        updates=[RefUpdate(current, ZERO_SHA, ref)],
        kind=kind,
        payload=payload,
    )


def create_branch(*, repo: Repository, actor: User | None, branch: str, target: str) -> None:
    """A new branch at commit ``target``; :class:`RefConflict` if it exists,
    :class:`InvalidRefName` for a name git or NBopen refuses."""
    _check_name(branch, "branch")
    set_ref(
        repo=repo,
        actor=actor,
        ref=f"refs/heads/{branch}",
        new=target,
        old=None,
        kind="repo.branch.create",
        payload={"branch": branch, "target": target},
    )


def delete_branch(*, repo: Repository, actor: User | None, branch: str) -> None:
    delete_ref(
        repo=repo,
        actor=actor,
        ref=f"refs/heads/{branch}",
        kind="repo.branch.delete",
        payload={"branch": branch},
    )


def branch_head(repo: Repository, branch: str) -> str | None:
    """The commit ``branch`` points at (any valid branch name), or None."""
    return gitcommit.branch_head(repo.git_path, branch)


def tag_exists(repo: Repository, tag: str) -> bool:
    return gitcommit.ref_target(repo.git_path, f"refs/tags/{tag}") is not None


def create_tag(
    *, repo: Repository, actor: User | None, tag: str, target: str, message: str = ""
) -> None:
    """A tag on commit ``target``: annotated (tagger = actor) when there is a ``message``."""
    _check_name(tag, "tag")
    obj = target
    if message:
        obj = gitcommit.write_tag(repo.git_path, target, tag, message, author_of(actor))
    set_ref(
        repo=repo,
        actor=actor,
        ref=f"refs/tags/{tag}",
        new=obj,
        old=None,
        kind="repo.tag.create",
        payload={"tag": tag, "target": target},
    )


def delete_tag(*, repo: Repository, actor: User | None, tag: str) -> None:
    delete_ref(
        repo=repo,
        actor=actor,
        ref=f"refs/tags/{tag}",
        kind="repo.tag.delete",
        payload={"tag": tag},
    )


def fetch_mirror(*, repo: Repository, url: str, timeout: float) -> list[RefUpdate]:
    """A pull mirror's sync: the remote's branches and tags replace the repository's (git
    fetch --prune), announced like a push by the server (the repository's event, search,
    conversion and scanning follow as for any push). Returns the refs that changed."""
    before = bare.ref_targets(repo.git_path)
    bare.fetch_all(repo.git_path, url, timeout=timeout)
    after = bare.ref_targets(repo.git_path)
    updates = [
        RefUpdate(before.get(ref, ZERO_SHA), after.get(ref, ZERO_SHA), ref)
        for ref in sorted(set(before) | set(after))
        if before.get(ref) != after.get(ref)
    ]
    if updates:
        after_update(repo_id=repo.pk, actor=None, updates=updates)
    return updates


def adopt_bundle(*, repo: Repository, bundle: Path, actor: User | None = None) -> list[RefUpdate]:
    """An offline bundle's history into ``repo`` (``nbopen bundle import``): the real ``git
    fetch`` stores the objects, then every ref of the bundle is moved by compare-and-swap and
    announced once like a push (event, search, card, dataset conversion follow). Idempotent:
    a re-run after an interruption moves only the refs not yet where the bundle has them."""
    targets = bare.bundle_heads(bundle)
    before = bare.all_refs(repo.git_path)
    missing = [ref for ref, sha in sorted(targets.items()) if before.get(ref) != sha]
    bare.fetch_bundle(repo.git_path, bundle, missing)
    updates = []
    for ref in missing:
        gitcommit.update_ref(repo.git_path, ref, targets[ref], before.get(ref))
        updates.append(RefUpdate(before.get(ref, ZERO_SHA), targets[ref], ref))
    if updates:
        after_update(repo_id=repo.pk, actor=actor, updates=updates)
    return updates
