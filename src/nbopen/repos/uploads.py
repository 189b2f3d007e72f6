"""Committing files sent through the browser (or loaded by the demo) into a repository.

A thin front door to the write service (:mod:`nbopen.repos.writes.commits`): it checks the
actor's access and the branch, normalises browser paths, and turns the service's errors into
messages for the person uploading. Large and binary files become LFS objects by the same
rule as every other channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nbopen.access.policy import Level, Principal, require_repo
from nbopen.core.errors import InvalidInput
from nbopen.repos.git import read
from nbopen.repos.models import Repository
from nbopen.repos.writes import commits


@dataclass(frozen=True)
class Upload:
    """One file to add: its repository path and either a local file or the bytes themselves."""

    path: str
    source: Path | None = None
    data: bytes | None = None

    def operation(self) -> commits.AddBytes | commits.AddFile:
        # Browsers on Windows may send backslashes; a repository path never has them.
        path = self.path.replace("\\", "/")
        if self.source is not None:
            return commits.AddFile(path, self.source)
        return commits.AddBytes(path, self.data or b"")


def upload_files(
    *,
    actor: Principal,
    repo: Repository,
    branch: str,
    uploads: list[Upload],
    message: str,
    expected_head: str | bool | None = True,
    when: datetime | None = None,
) -> str:
    """Commit ``uploads`` to ``branch`` as ``actor`` and return the new commit sha.

    Needs write access. ``expected_head`` True commits on whatever the branch holds; a sha
    (or None: the branch must not exist yet) makes the upload conditional on what the
    uploader saw. ``when`` back-dates the commit (imports and the demo loader).
    """
    require_repo(actor, repo, Level.WRITE)
    assert actor.user is not None
    if not uploads:
        raise InvalidInput("Choose at least one file to upload")
    head = read.resolve(repo.git_path, f"refs/heads/{branch}")
    if head is None and branch != repo.default_branch:
        raise InvalidInput(f"No branch named {branch!r}")
    try:
        new, _old = commits.commit(
            repo=repo,
            actor=actor.user,
            branch=branch,
            operations=[u.operation() for u in uploads],
            message=message.strip() or "Upload files",
            parent=commits.ANY_PARENT if isinstance(expected_head, bool) else expected_head,
            author=commits.author_of(actor.user, when),
            skip_unchanged=True,
        )
    except commits.RefConflict as exc:
        raise InvalidInput("The branch changed while uploading; please try again") from exc
    except commits.NothingChanged as exc:
        raise InvalidInput("the upload does not change any file") from exc
    except commits.InvalidPath as exc:
        raise InvalidInput(str(exc)) from exc
    return new
