"""Repository home, file tree and file view at any branch, tag or commit."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from nbopen.access.policy import Decision, Level, decide_repo
from nbopen.collab import watches
from nbopen.collab.services import has_liked, like_count
from nbopen.mirrors.status import mirror_status
from nbopen.repos import edits, forks
from nbopen.repos.edits import MAX_EDIT_BYTES
from nbopen.repos.git import read
from nbopen.repos.git.read import TreeEntry
from nbopen.repos.lfs import is_linked
from nbopen.repos.models import Repository
from nbopen.scanning import services as scanning
from nbopen.web.highlight import highlight
from nbopen.web.markdown import LinkBase, render_readme
from nbopen.web.views.base import RepoAccess, page, repo_access

MAX_VIEW_BYTES = 1024 * 1024  # files above this are offered for download, not rendered
MAX_README_BYTES = 512 * 1024
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".ico", ".svg"}
LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/v1"


@dataclass(frozen=True)
class Pointer:
    oid: str
    size: int


def parse_pointer(data: bytes) -> Pointer | None:
    """The LFS object a pointer file names (pointers are < 200 bytes of fixed-form text)."""
    if not data.startswith(LFS_POINTER_PREFIX) or len(data) > 1024:
        return None
    fields = dict(
        line.split(" ", 1) for line in data.decode("ascii", "replace").splitlines() if " " in line
    )
    oid = fields.get("oid", "").removeprefix("sha256:")
    try:
        size = int(fields.get("size", ""))
    except ValueError:
        return None
    if len(oid) != 64:
        return None
    return Pointer(oid, size)


def repo_context(access: RepoAccess, *, rev: str, sha: str | None, tab: str) -> dict[str, Any]:
    repo = access.repo
    branches, tags = access.refs()
    return {
        "repo": repo,
        "access": access,
        "rev": rev,
        "sha": sha,
        "tab": tab,
        "branches": branches,
        "tags": tags,
        # Browser edits commit to a branch: a tag or commit page offers none.
        "can_edit": access.can_write and any(b.name == rev for b in branches),
        "license": repo.license or repo.card_data.get("license", ""),
        "tags_list": repo.tags or repo.card_data.get("tags", []) or [],
        "forks_count": forks.fork_count(repo),
        "forked_from": _readable_source(access),
        "mirror": mirror_status(repo),
        "signals": repo_signals(access),
    }


def repo_signals(access: RepoAccess) -> dict[str, Any]:
    """Like and watch counts, and whether the viewer likes/watches, for the header buttons."""
    repo = access.repo
    me = access.who.user.pk if access.who.is_authenticated and access.who.user else None
    return {
        "likes": like_count(repo),
        "liked": has_liked(user_id=me, repo=repo),
        "watchers": watches.watcher_count(repo),
        "watching": watches.is_watching(user_id=me, repo=repo),
        "watch_level": watches.watch_level(user_id=me, repo=repo),
    }


def _readable_source(access: RepoAccess) -> Repository | None:
    """The fork's source, unless it has since become private to this viewer."""
    source = access.repo.forked_from
    if source is None or decide_repo(access.who, source, Level.READ) is not Decision.ALLOW:
        return None
    return source


def _sorted(entries: list[TreeEntry]) -> list[TreeEntry]:
    return sorted(entries, key=lambda e: (e.type != "tree", e.path.rsplit("/", 1)[-1].lower()))


def _breadcrumbs(path: str) -> list[tuple[str, str]]:
    parts = [p for p in path.split("/") if p]
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]


def _readme(access: RepoAccess, rev: str, sha: str, entries: list[TreeEntry]) -> Any:
    for entry in entries:
        if entry.type == "blob" and entry.path.rsplit("/", 1)[-1].lower() in {
            "readme.md",
            "readme",
            "readme.txt",
        }:
            if (entry.size or 0) > MAX_README_BYTES:
                return None
            text = read.read_blob(access.repo.git_path, entry.oid).decode("utf-8", "replace")
            base = f"{access.repo.web_path}"
            links = LinkBase(
                blob=f"{base}/blob/{rev}",
                raw=f"{base}/raw/{rev}",
                directory=posixpath.dirname(entry.path),
            )
            return {"path": entry.path, "doc": render_readme(text, links)}
    return None


def _tree_page(
    request: HttpRequest, access: RepoAccess, rev: str, sha: str, path: str, tab: str
) -> HttpResponse:
    try:
        entries = _sorted(read.ls_tree(access.repo.git_path, sha, path))
    except FileNotFoundError:
        raise Http404("no such directory") from None
    readme = _readme(access, rev, sha, entries)
    ctx = repo_context(access, rev=rev, sha=sha, tab=tab)
    ctx.update(
        {
            "path": path,
            "entries": entries,
            "crumbs": _breadcrumbs(path),
            "parent": posixpath.dirname(path) if path else None,
            "readme": readme,
            "last_commit": read.commit(access.repo.git_path, sha),
            "commit_count": read.count_commits(access.repo.git_path, sha) if not path else None,
        }
    )
    if readme is not None and not path:
        meta = readme["doc"].metadata
        if meta.get("license"):
            ctx["license"] = meta["license"]
        if isinstance(meta.get("tags"), list):
            ctx["tags_list"] = meta["tags"]
    return page(request, "web/repo_tree.html", ctx)


def repo_home(request: HttpRequest, owner: str, name: str) -> HttpResponse:
    access = repo_access(request, owner, name)
    repo = access.repo
    if name != repo.name or owner != repo.owner.name:
        return redirect(f"{repo.web_path}")
    rev = repo.default_branch
    branches, _ = access.refs()
    sha = next((b.target for b in branches if b.name == rev), None)
    if sha is None and branches:
        rev, sha = branches[0].name, branches[0].target
    if sha is None:
        return page(
            request, "web/repo_empty.html", repo_context(access, rev=rev, sha=None, tab="files")
        )
    return _tree_page(request, access, rev, sha, "", "files")


def _split(access: RepoAccess, rest: str) -> tuple[str, str, str]:
    split = access.split(rest)
    if split is None:
        raise Http404("no such revision")
    return split


def tree(request: HttpRequest, owner: str, name: str, rest: str) -> HttpResponse:
    access = repo_access(request, owner, name)
    rev, sha, path = _split(access, rest)
    return _tree_page(request, access, rev, sha, path, "files")


def blob(request: HttpRequest, owner: str, name: str, rest: str) -> HttpResponse:
    access = repo_access(request, owner, name, content=True)
    rev, sha, path = _split(access, rest)
    repo = access.repo
    entry = read.entry_at(repo.git_path, sha, path) if path else None
    if entry is None:
        raise Http404("no such file")
    if entry.type == "tree":
        return redirect(f"{repo.web_path}/tree/{rev}/{path}")
    ctx = repo_context(access, rev=rev, sha=sha, tab="files")
    ext = posixpath.splitext(path)[1].lower()
    size = entry.size or 0
    view: dict[str, Any] = {"kind": "text", "size": size, "lfs": None}
    head = read.read_blob(repo.git_path, entry.oid, limit=1024) if entry.type == "blob" else b""
    pointer = parse_pointer(head) if size <= 1024 else None
    if entry.type != "blob":
        view["kind"] = "submodule"
    elif pointer is not None:
        view.update(
            kind="lfs",
            size=pointer.size,
            lfs=pointer,
            available=is_linked(repo, pointer.oid, pointer.size),
            image=ext in IMAGE_EXTENSIONS,
        )
        if ctx["can_edit"] and view["available"] and pointer.size <= MAX_EDIT_BYTES:
            # A small LFS text file (a tracked JSON, say) can be edited; it stays in LFS.
            current = edits.editable(repo, sha, path)
            view["editable"] = current is not None and not current.reason
    elif ext in IMAGE_EXTENSIONS:
        view["kind"] = "image"
    elif size > MAX_VIEW_BYTES:
        view["kind"] = "large"
    else:
        data = read.read_blob(repo.git_path, entry.oid)
        if b"\0" in data[:8000]:
            view["kind"] = "binary"
        else:
            text = data.decode("utf-8", "replace")
            view["lines"] = text.count("\n") + (0 if text.endswith("\n") else 1)
            if ext in {".md", ".markdown"} and request.GET.get("plain") != "1":
                base = f"{repo.web_path}"
                links = LinkBase(
                    blob=f"{base}/blob/{rev}",
                    raw=f"{base}/raw/{rev}",
                    directory=posixpath.dirname(path),
                )
                view["kind"] = "markdown"
                view["doc"] = render_readme(text, links)
            else:
                view["html"] = highlight(text, path)
    ctx.update(
        {
            "path": path,
            "entry": entry,
            "crumbs": _breadcrumbs(path),
            "view": view,
            "last_commit": next(iter(read.log(repo.git_path, sha, path=path, limit=1)), None),
            "scan": _scan_view(pointer.oid if pointer is not None else entry.oid),
        }
    )
    return page(request, "web/repo_blob.html", ctx)


def _scan_view(key: str) -> dict[str, Any] | None:
    """What the upload scanners found in this file's content, for the page's warning
    (the page is shown only to readers of the repository: the policy ran above)."""
    result = scanning.results([key]).get(key)
    if result is None:
        return None
    labels = {
        "innocuous": _("harmless"),
        "suspicious": _("suspicious"),
        "dangerous": _("dangerous"),
    }
    imports = [
        {**item, "label": labels.get(item.get("safety", ""), item.get("safety", ""))}
        for item in (result.pickle_scan or {}).get("imports", [])
        if item.get("safety") != "innocuous"
    ]
    return {
        "status": result.status,
        "imports": imports,
        "secrets": result.secrets,
        "viruses": (result.av_scan or {}).get("virusNames") or [],
    }
