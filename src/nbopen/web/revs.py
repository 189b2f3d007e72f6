"""Splitting ``{rev}/{path}`` with the refs already in hand.

Same rule as :func:`nbopen.repos.git.read.split_rev_path` (longest prefix naming a branch or
tag, branches before tags, else the first segment as a sha), but the branch and tag names come
from the one ``for-each-ref`` call every repository page makes anyway, so a deep path costs no
extra ``git rev-parse`` per segment.
"""

from __future__ import annotations

from pathlib import Path

from nbopen.repos.git import read
from nbopen.repos.git.read import Ref


def split(
    git_dir: Path, rest: str, branches: list[Ref], tags: list[Ref]
) -> tuple[str, str, str] | None:
    """(rev, sha, path) for ``rest``, or None when no prefix names a revision."""
    parts = rest.strip("/").split("/")
    by_name = {t.name: t.target for t in tags}
    by_name.update({b.name: b.target for b in branches})  # a branch wins over a same-named tag
    for cut in range(len(parts), 0, -1):
        rev = "/".join(parts[:cut])
        if rev in by_name:
            return rev, by_name[rev], "/".join(parts[cut:])
    sha = read.resolve(git_dir, parts[0])
    if sha is None:
        return None
    return parts[0], sha, "/".join(parts[1:])
