"""A repository's large files, listed and permanently deleted (the Hub's ``lfs-files``).

Users who pushed the wrong checkpoint need to get the storage back; the Hub offers
``list_lfs_files`` and ``permanently_delete_lfs_files``. Objects are content-addressed and
shared (the same weights uploaded to two repositories, a fork, a duplicate), so deleting
from *one* repository removes that repository's links (:class:`RepositoryLFSObject`, and the
Xet files holding those bytes), and the stored bytes go only when no repository links them
any more: another repository never loses a file because someone else deleted theirs.

``rewrite_history`` (the client's default) also rewrites every branch and tag so that no
commit references the deleted files any more (the commits keep their authors, dates and
messages; only the trees lose those entries, and signatures are dropped because they no
longer match). Without it the history keeps pointers whose bytes are gone (downloads of
those revisions answer "not found"), as on the Hub.

Rewriting a branch is a force push, so protected branches apply (ADR 0027): the new history
is computed first (objects only, no ref moves), every branch that would change is checked
like any other write (:func:`nbopen.collab.protection.check_update`), and a refusal comes
before anything is unlinked or moved. There is no admin override: an admin who really
wants the protected history rewritten allows force pushes in the rule for that moment, or
deletes without ``rewrite_history`` (no ref moves; old revisions lose those files' bytes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import transaction

from nbopen.accounts.models import User
from nbopen.collab import protection
from nbopen.core.storage import get_storage
from nbopen.repos.git import commit as gitcommit
from nbopen.repos.git import read
from nbopen.repos.models import LFSObject, Repository, RepositoryLFSObject
from nbopen.repos.writes.after_update import RefUpdate, after_update

_POINTER_OID = re.compile(rb"^oid sha256:([0-9a-f]{64})$", re.MULTILINE)
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
BranchProtected = protection.BranchProtected
_POINTER_MAX = 1024  # a Git LFS pointer is ~130 bytes; anything larger is content


@dataclass(frozen=True)
class LfsFile:
    oid: str
    size: int
    pushed_at: datetime
    filename: str  # a path that references the object on some branch ("" if none does)
    ref: str | None  # the branch of that path


def _pointer_oid(repo: Path, blob: str) -> str | None:
    match = _POINTER_OID.search(read.read_blob(repo, blob, limit=_POINTER_MAX))
    return match[1].decode() if match else None


def _pointers(repo: Path, commit: str) -> dict[str, tuple[str, str]]:
    """pointer blob oid → (sha256, path) for the LFS pointers in ``commit``'s tree."""
    found: dict[str, tuple[str, str]] = {}
    for entry in read.ls_tree(repo, commit, recursive=True):
        if entry.type != "blob" or entry.size is None or entry.size > _POINTER_MAX:
            continue
        oid = _pointer_oid(repo, entry.oid)
        if oid is not None:
            found[entry.oid] = (oid, entry.path)
    return found


def list_lfs_files(repo: Repository) -> list[LfsFile]:
    """Every LFS object the repository links, newest first, each with a file name where a
    branch head references it (the default branch first)."""
    names: dict[str, tuple[str, str]] = {}
    git = repo.git_path
    if git.exists() and not read.is_empty(git):
        branches, _ = read.list_refs(git)
        branches.sort(key=lambda ref: ref.name != repo.default_branch)
        for branch in branches:
            for oid, path in _pointers(git, branch.target).values():
                names.setdefault(oid, (path, branch.name))
    links = (
        RepositoryLFSObject.objects.filter(repository=repo)
        .select_related("lfs_object")
        .order_by("-created_at", "lfs_object_id")
    )
    return [
        LfsFile(
            oid=link.lfs_object_id,
            size=link.lfs_object.size,
            pushed_at=link.created_at,
            filename=names.get(link.lfs_object_id, ("", None))[0],
            ref=names.get(link.lfs_object_id, ("", None))[1],
        )
        for link in links
    ]


def permanently_delete(
    *, repo: Repository, actor: User | None, oids: list[str], rewrite_history: bool
) -> int:
    """Unlink ``oids`` from ``repo`` (and free bytes no repository links any more); with
    ``rewrite_history`` drop them from every commit of every branch and tag. Returns how
    many objects were unlinked. Permission is the caller's (admin on the repository);
    :class:`~nbopen.collab.protection.BranchProtected`, before anything changes, when the
    rewrite would force-push a protected branch the rule does not let ``actor`` force."""
    from nbopen.xet.models import XetFileRef

    wanted = sorted({oid for oid in oids if re.fullmatch(r"[0-9a-f]{64}", oid)})
    plan = _plan(repo, set(wanted)) if rewrite_history and wanted else []
    for update in plan:
        protection.check_update(
            repo=repo, actor=actor, ref=update.ref, old=update.old, new=update.new
        )
    with transaction.atomic():
        unlinked, _ = RepositoryLFSObject.objects.filter(
            repository=repo, lfs_object_id__in=wanted
        ).delete()
        XetFileRef.objects.filter(repository=repo, file__sha256__in=wanted).delete()
        orphans = list(
            LFSObject.objects.filter(oid__in=wanted, links__isnull=True).values_list(
                "oid", flat=True
            )
        )
        LFSObject.objects.filter(oid__in=orphans).delete()
        transaction.on_commit(lambda: _free(orphans))
    if rewrite_history and wanted:
        _apply(repo, actor, set(wanted), plan)
    return unlinked


def _free(oids: list[str]) -> None:
    """Delete the bytes of objects no repository links any more (after the commit, so a
    rolled-back deletion never loses bytes)."""
    storage = get_storage()
    for oid in oids:
        storage.delete(oid)


class _Rewriter:
    """Trees and commits without the pointers to ``oids``, memoized per object."""

    def __init__(self, git: Path, oids: set[str]) -> None:
        self.git = git
        self.oids = oids
        self.trees: dict[str, str] = {}
        self.commits: dict[str, str] = {}
        self.drop: dict[str, bool] = {}

    def _git(self, *args: str, input_: bytes | None = None) -> bytes:
        return gitcommit._git(self.git, *args, input_=input_).stdout

    def _dropped(self, entry: read.TreeEntry) -> bool:
        if entry.oid not in self.drop:
            small = entry.size is not None and entry.size <= _POINTER_MAX
            self.drop[entry.oid] = small and _pointer_oid(self.git, entry.oid) in self.oids
        return self.drop[entry.oid]

    def tree(self, tree: str) -> str:
        if tree in self.trees:
            return self.trees[tree]
        lines = []
        for record in self._git("ls-tree", "-z", "-l", tree).split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, otype, oid, size = meta.decode().split()
            if otype == "tree":
                oid = self.tree(oid)
                if oid == EMPTY_TREE:
                    continue  # a folder that held only deleted files goes with them
            elif otype == "blob":
                entry = read.TreeEntry("", otype, mode, oid, int(size))
                if self._dropped(entry):
                    continue
            lines.append(f"{mode} {otype} {oid}\t".encode() + name)
        new = self._git("mktree", "-z", input_=b"\0".join(lines) + (b"\0" if lines else b""))
        self.trees[tree] = new.decode().strip()
        return self.trees[tree]

    def commit(self, sha: str) -> str:
        if sha in self.commits:
            return self.commits[sha]
        raw = self._git("cat-file", "commit", sha)
        header, _, message = raw.partition(b"\n\n")
        out: list[bytes] = []
        in_signature = False
        for line in header.split(b"\n"):
            if in_signature and line.startswith(b" "):
                continue
            in_signature = line.startswith(b"gpgsig")
            if in_signature:
                continue
            key, _, value = line.partition(b" ")
            if key == b"tree":
                line = b"tree " + self.tree(value.decode()).encode()
            elif key == b"parent":
                line = b"parent " + self.commit(value.decode()).encode()
            out.append(line)
        body = b"\n".join(out) + b"\n\n" + message
        new = self._git("hash-object", "-t", "commit", "-w", "--stdin", input_=body)
        self.commits[sha] = new.decode().strip()
        return self.commits[sha]

    def tag(self, tag: str, commit: str) -> str:
        raw = self._git("cat-file", "tag", tag)
        _, _, rest = raw.partition(b"\n")
        body = b"object " + commit.encode() + b"\n" + rest
        return self._git("hash-object", "-t", "tag", "-w", "--stdin", input_=body).decode().strip()


def _plan(repo: Repository, oids: set[str]) -> list[RefUpdate]:
    """The ref moves that drop ``oids`` from every branch and tag: the rewritten commits (and
    annotated tags) are written as objects, no ref moves yet."""
    git = repo.git_path
    if not git.exists() or read.is_empty(git):
        return []
    rewriter = _Rewriter(git, oids)
    branches, tags = read.list_refs(git)
    updates: list[RefUpdate] = []
    for ref in [*branches, *tags]:
        target = gitcommit.ref_target(git, ref.ref)
        if target is None:
            continue
        # Commits are rewritten parent first (recursion), so deep histories are walked in
        # topological order from the oldest commit: list them so recursion stays shallow.
        for sha in rewriter._git("rev-list", "--reverse", "--topo-order", ref.target).split():
            rewriter.commit(sha.decode())
        new = rewriter.commit(ref.target)
        if target != ref.target:  # an annotated tag: a new tag object on the new commit
            new = rewriter.tag(target, new)
        if new != target:
            updates.append(RefUpdate(target, new, ref.ref))
    return updates


def _apply(repo: Repository, actor: User | None, oids: set[str], plan: list[RefUpdate]) -> None:
    """Move the planned refs by compare-and-swap (a ref moved since: :class:`RefConflict`)
    and announce them."""
    for update in plan:
        gitcommit.update_ref(repo.git_path, update.ref, update.new, update.old)
    after_update(
        repo_id=repo.pk,
        actor=actor,
        updates=plan,
        kind="repo.lfs.delete",
        payload={"oids": sorted(oids), "refs": [u.ref for u in plan]},
    )
