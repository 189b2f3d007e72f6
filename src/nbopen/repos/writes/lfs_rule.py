"""Which files are stored as LFS objects: one rule for every channel.

The Hub's rule (HF_COMPAT.md §6.2): 10 MB (decimal) or larger, or binary — a NUL byte in the
first 512 bytes — or routed through LFS by the repository's ``.gitattributes`` at the target
revision (``*.bin filter=lfs …``, ``saved_model/**``), matched by git itself
(:mod:`nbopen.repos.git.attributes`). Browser uploads, Hub commits and the demo loader all
use it, so the same file ends up the same way in git whatever way it arrived, ``git lfs fsck
--pointers`` is clean on a fresh clone, and ``preupload`` can tell clients in advance what
the commit will do.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nbopen.repos.git import attributes

LFS_THRESHOLD = 10 * 1000 * 1000
SNIFF_BYTES = 512


def by_content(size: int, sample: bytes) -> bool:
    """Large or binary: LFS whatever the repository's ``.gitattributes`` say."""
    return size >= LFS_THRESHOLD or (size > 0 and b"\0" in sample[:SNIFF_BYTES])


def decide(size: int, sample: bytes, *, routed: bool) -> bool:
    """LFS or not, given whether the ``.gitattributes`` route the path through LFS.

    An empty file is never an LFS object, whatever the patterns say: git-lfs never turns empty
    content into a pointer, and the Hub client uploads empty files as regular ones whatever
    preupload answers (an empty ``model.pkl`` is listed without ``lfs`` on the Hub)."""
    return size > 0 and (routed or by_content(size, sample))


def sample_of(source: Path) -> bytes:
    with open(source, "rb") as fh:
        return fh.read(SNIFF_BYTES)


class Rule:
    """The rule at one revision of one repository (``rev`` None: an empty repository, where
    only size and content decide). Reads the revision's ``.gitattributes`` files once."""

    def __init__(self, git_path: Path | None = None, rev: str | None = None) -> None:
        self._git_path = git_path
        self._files = (
            attributes.special_files(git_path, rev, attributes.ATTRIBUTES)
            if git_path is not None
            else []
        )
        self._known: dict[str, bool] = {}

    def routed(self, paths: Iterable[str]) -> set[str]:
        """The ``paths`` the revision's ``.gitattributes`` send through LFS (one git call)."""
        paths = set(paths)
        unknown = [p for p in paths if p not in self._known]
        if unknown and self._git_path is not None and self._files:
            hits = attributes.lfs_routed(self._git_path, self._files, unknown)
            self._known.update({p: p in hits for p in unknown})
        return {p for p in paths if self._known.get(p, False)}

    def stored_as_lfs(self, path: str, size: int, sample: bytes) -> bool:
        return decide(size, sample, routed=path in self.routed([path]))


CONTENT_ONLY = Rule()


def at(git_path: Path, rev: str | None) -> Rule:
    """The rule for a commit on top of ``rev`` (a branch, tag or sha; None: nothing yet)."""
    return Rule(git_path, rev)
