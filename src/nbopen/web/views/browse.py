"""Repository home, file tree and file view at any branch, tag or commit."""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from nbopen.access.policy import Decision, Level, decide_repo
from nbopen.collab import watches
from nbopen.collab.services import has_liked, like_count
from nbopen.mirrors.status import mirror_status
from nbopen.repos import edits, forks, git_cache
from nbopen.repos.edits import MAX_EDIT_BYTES
from nbopen.repos.git import read
from nbopen.repos.git.read import Commit, TreeEntry
from nbopen.repos.lfs import is_linked
from nbopen.repos.models import Repository
from nbopen.scanning import services as scanning
from nbopen.web.highlight import highlight
from nbopen.web.markdown import LinkBase, Readme, render_readme
from nbopen.web.views.base import RepoAccess, page, repo_access

MAX_VIEW_BYTES = 1024 * 1024  # files above this are offered for download, not rendered
MAX_README_BYTES = 512 * 1024
README_CACHE_SECONDS = 7 * 24 * 3600  # a blob's rendering never changes: only the renderer can
README_RENDERER = "md1"  # bump when the Markdown renderer or sanitiser changes its output
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
            links = _links(access.repo, rev, entry.path)
            return {"path": entry.path, "doc": rendered_markdown(access.repo, entry.oid, links)}
    return None


def _links(repo: Repository, rev: str, path: str) -> LinkBase:
    base = f"{repo.web_path}"
    return LinkBase(
        blob=f"{base}/blob/{rev}", raw=f"{base}/raw/{rev}", directory=posixpath.dirname(path)
    )


def rendered_markdown(
    repo: Repository, oid: str, links: LinkBase, text: str | None = None
) -> Readme:
    """The sanitised rendering of Markdown blob ``oid``, cached per blob and link base.

    The key holds the repository's id (no answer crosses repositories, so a private
    repository's README is never served for another that holds the same blob), the blob id
    (content-addressed: new content is a new key) and what the links are rewritten against
    (the repository's path, the revision, the README's directory).
    """
    key = "readme:{}:{}:{}:{}".format(
        README_RENDERER,
        repo.pk,
        oid,
        hashlib.sha256(repr(links).encode("utf-8", "surrogateescape")).hexdigest()[:32],
    )
    doc: Readme | None = cache.get(key)
    if doc is None:
        if text is None:
            text = read.read_blob(repo.git_path, oid).decode("utf-8", "replace")
        doc = render_readme(text, links)
        cache.set(key, doc, README_CACHE_SECONDS)
    return doc


def _with_last_commits(
    repo: Repository, sha: str, path: str, entries: list[TreeEntry]
) -> list[dict[str, Any]]:
    """Entries paired with the newest commit that changed each (the tree's last-commit
    column), from one cached history walk for the directory."""
    names = [e.path.rsplit("/", 1)[-1] for e in entries]
    last: dict[str, Commit] = git_cache.last_commits(repo, sha, path, names)
    return [
        {"path": e.path, "type": e.type, "size": e.size, "last": last.get(name)}
        for e, name in zip(entries, names, strict=True)
    ]


def _tree_page(
    request: HttpRequest, access: RepoAccess, rev: str, sha: str, path: str, tab: str
) -> HttpResponse:
    repo = access.repo
    git_cache.ensure_commit_graph(repo)
    try:
        entries = _sorted(git_cache.ls_tree(repo, sha, path))
    except FileNotFoundError:
        raise Http404("no such directory") from None
    readme = _readme(access, rev, sha, entries)
    ctx = repo_context(access, rev=rev, sha=sha, tab=tab)
    ctx.update(
        {
            "path": path,
            "entries": _with_last_commits(repo, sha, path, entries),
            "crumbs": _breadcrumbs(path),
            "parent": posixpath.dirname(path) if path else None,
            "readme": readme,
            "last_commit": git_cache.commit(repo, sha),
            "commit_count": git_cache.count_commits(repo, sha) if not path else None,
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
    git_cache.ensure_commit_graph(repo)
    entry = git_cache.entry_at(repo, sha, path) if path else None
    if entry is None:
        raise Http404("no such file")
    if entry.type == "tree":
        return redirect(f"{repo.web_path}/tree/{rev}/{path}")
    ctx = repo_context(access, rev=rev, sha=sha, tab="files")
    ext = posixpath.splitext(path)[1].lower()
    size = entry.size or 0
    view: dict[str, Any] = {"kind": "text", "size": size, "lfs": None}
    # Only a blob of at most 1 KiB can be an LFS pointer.
    small = entry.type == "blob" and size <= 1024
    pointer = parse_pointer(git_cache.blob_bytes(repo, entry.oid, size)) if small else None
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
        data = git_cache.blob_bytes(repo, entry.oid, size)
        if b"\0" in data[:8000]:
            view["kind"] = "binary"
        else:
            text = data.decode("utf-8", "replace")
            view["lines"] = text.count("\n") + (0 if text.endswith("\n") else 1)
            if ext in {".md", ".markdown"} and request.GET.get("plain") != "1":
                view["kind"] = "markdown"
                view["doc"] = rendered_markdown(repo, entry.oid, _links(repo, rev, path), text)
            else:
                view["html"] = _highlighted(repo, entry.oid, path, text)
    ctx.update(
        {
            "path": path,
            "entry": entry,
            "crumbs": _breadcrumbs(path),
            "view": view,
            "last_commit": next(iter(git_cache.log(repo, sha, path=path, limit=1)), None),
            "scan": _scan_view(pointer.oid if pointer is not None else entry.oid),
        }
    )
    return page(request, "web/repo_blob.html", ctx)


def _highlighted(repo: Repository, oid: str, path: str, text: str) -> str:
    """Highlighted HTML of blob ``oid`` shown as ``path`` (the lexer follows the name), cached
    per repository, blob and path like :func:`rendered_markdown`."""
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    key = f"hl:{README_RENDERER}:{repo.pk}:{oid}:{digest}"
    html: str | None = cache.get(key)
    if html is None:
        html = highlight(text, path)
        cache.set(key, html, README_CACHE_SECONDS)
    return html


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
