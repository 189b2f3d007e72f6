"""Changing a card's metadata (README.md front matter) with a commit, like the Hub's
``metadata_update``.

Why a commit and not a database field: the card is the single source of truth for a
repository's metadata (the Hub API, the listing filters, search facets and the libraries all
read ``card_data``, which :mod:`.after_update` syncs from README.md). Editing it here keeps
one truth that a ``git clone`` also sees.

Only the top-level keys being changed are rewritten; every other line of the front matter
(comments, ordering, quoting) and the Markdown body stay byte for byte.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from nbopen.accounts.models import User
from nbopen.repos.git import read
from nbopen.repos.models import Repository
from nbopen.repos.writes import commits

README = "README.md"
_FRONT = re.compile(
    r"\A(\ufeff?(?:[ \t]*\r?\n)*---[ \t]*\r?\n)(.*?)(^(?:---|\.\.\.)[ \t]*$)", re.S | re.M
)
_TOP_KEY = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)\s*:")


def _render(key: str, value: Any) -> str:
    dumped = yaml.safe_dump({key: value}, allow_unicode=True, default_flow_style=False)
    return dumped if dumped.endswith("\n") else dumped + "\n"


def _set_keys(front: str, updates: dict[str, Any]) -> str:
    """``front`` (the YAML between the fences) with each key of ``updates`` replaced, added
    at the end, or removed (value None)."""
    lines = front.splitlines(keepends=True)
    out: list[str] = []
    done: set[str] = set()
    skipping = False
    for line in lines:
        match = _TOP_KEY.match(line)
        if match is not None:
            skipping = False
            key = match.group(1)
            if key in updates:
                skipping = True  # drop this key's line and its indented continuation
                if updates[key] is not None and key not in done:
                    out.append(_render(key, updates[key]))
                done.add(key)
                continue
        elif skipping and (line[:1] in {" ", "\t", "-"} or not line.strip()):
            continue
        else:
            skipping = False
        out.append(line)
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    for key, value in updates.items():
        if key not in done and value is not None:
            out.append(_render(key, value))
    return "".join(out)


def with_metadata(text: str, updates: dict[str, Any]) -> str:
    """README ``text`` with its front matter updated (a front matter is added if missing)."""
    match = _FRONT.match(text)
    if match is None:
        front = _set_keys("", updates)
        return f"---\n{front}---\n\n{text}" if front else text
    front = _set_keys(match.group(2), updates)
    if not front.strip():
        return text[match.end(3) :].lstrip("\r\n")
    return text[: match.start(2)] + front + text[match.start(3) :]


def metadata_update(
    *,
    repo: Repository,
    actor: User,
    updates: dict[str, Any],
    message: str,
    branch: str | None = None,
) -> str | None:
    """Commit README.md with ``updates`` applied to its front matter; returns the new sha, or
    None when nothing changed. The caller has checked the actor may write (the policy).

    Compare-and-swap on the head the README was read from: a concurrent push makes this
    raise :class:`commits.RefConflict` rather than overwrite a card edited meanwhile.
    """
    branch = branch or repo.default_branch
    head = read.resolve(repo.git_path, f"refs/heads/{branch}")
    text = ""
    if head is not None:
        entry = read.entry_at(repo.git_path, head, README)
        if entry is not None and entry.type == "blob":
            text = read.read_blob(repo.git_path, entry.oid).decode("utf-8", "replace")
    updated = with_metadata(text, updates)
    if updated == text:
        return None
    new, _old = commits.commit(
        repo=repo,
        actor=actor,
        branch=branch,
        operations=[commits.AddBytes(README, updated.encode("utf-8"))],
        message=message,
        parent=head,
        author=commits.author_of(actor),
    )
    return new
