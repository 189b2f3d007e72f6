"""A pull request's page: the conversation, commits and files-changed tabs, inline review
(a line's comment form, replies, resolving a conversation), the review form and the merge
box's data; and the form posts of the review (``…/pulls/N/review``).

Every form works without JavaScript: a line number is a link that re-renders the files tab
with the comment form under that line; files collapse with ``<details>``. Decisions stay in
:mod:`nbopen.collab.pulls` and :mod:`nbopen.collab.reviewing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.core.cache import cache
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_POST

from nbopen.collab import protection, pulls, reviewing, threads
from nbopen.collab.models import Review, ReviewComment, Thread
from nbopen.core.errors import DomainError, NotFound
from nbopen.repos.git.diff import DiffLine, FileDiff, parse
from nbopen.web.messages import explain
from nbopen.web.views.base import RepoAccess, login_redirect, repo_access

TABS = ("conversation", "commits", "files")
LFS_POINTER = "version https://git-lfs.github.com/spec/v1"


@dataclass
class Conversation:
    """A review comment and its replies, outdated when the head no longer has its line."""

    root: ReviewComment
    replies: list[ReviewComment] = field(default_factory=list)
    outdated: bool = False

    @property
    def comments(self) -> list[ReviewComment]:
        return [self.root, *self.replies]


@dataclass
class FileView:
    diff: FileDiff
    index: int
    lfs: bool
    rows: list[tuple[DiffLine, list[Conversation]]]
    html: str = ""


_SIGN = {"add": "+", "del": "-", "ctx": " "}


def _line_link(fv: FileView, no: int, title: str, style: str) -> str:
    path_q = quote(fv.diff.path, safe="")
    split = "&amp;style=split" if style == "split" else ""
    return (
        f'<a class="line-link" href="?tab=files{split}&amp;path={path_q}&amp;line={no}'
        f'#new-line-comment" title="{title}" data-line="{no}">{no}</a>'
    )


def _rows_html(
    fv: FileView,
    *,
    link: bool,
    title: str,
    render_conv: Any,
    comment_form: Any,
    style: str = "unified",
) -> str:
    """The file's diff table rows. Built here rather than in the template: a 500-file pull
    request has tens of thousands of rows, and Django's template engine spends ~100 µs on
    each (seconds per page); string building keeps the page near the cost of git diff."""
    if style == "split":
        return _split_rows_html(
            fv, link=link, title=title, render_conv=render_conv, comment_form=comment_form
        )
    out: list[str] = []
    for line, convs in fv.rows:
        text = escape(line.text)
        if line.kind == "hunk":
            out.append(
                f'<tr class="d-hunk"><td class="ln"></td><td class="ln"></td>'
                f'<td class="code">{text}</td></tr>'
            )
            continue
        old = "" if line.old_no is None else str(line.old_no)
        new = "" if line.new_no is None else str(line.new_no)
        if link and line.new_no:
            new = _line_link(fv, line.new_no, title, "unified")
        out.append(
            f'<tr class="d-{line.kind}"><td class="ln">{old}</td><td class="ln">{new}'
            f'</td><td class="code">{_SIGN[line.kind]}{text}</td></tr>'
        )
        for conv in convs:
            out.append(f'<tr class="d-comments"><td colspan="3">{render_conv(conv)}</td></tr>')
        if line.new_no and comment_form is not None and comment_form[0] == line.new_no:
            out.append(f'<tr class="d-comments"><td colspan="3">{comment_form[1]}</td></tr>')
    return "".join(out)


Row = tuple[DiffLine, list[Conversation]]


def _split_pairs(rows: list[Row]) -> list[tuple[Row | None, Row | None]]:
    """Side-by-side rows: context on both sides; a run of deletions faces the run of
    additions that follows it, line by line (the longer run continues alone)."""
    pairs: list[tuple[Row | None, Row | None]] = []
    i = 0
    while i < len(rows):
        kind = rows[i][0].kind
        if kind in {"ctx", "hunk"}:
            pairs.append((rows[i], rows[i]))
            i += 1
            continue
        dels: list[Row] = []
        while i < len(rows) and rows[i][0].kind == "del":
            dels.append(rows[i])
            i += 1
        adds: list[Row] = []
        while i < len(rows) and rows[i][0].kind == "add":
            adds.append(rows[i])
            i += 1
        for k in range(max(len(dels), len(adds))):
            pairs.append((dels[k] if k < len(dels) else None, adds[k] if k < len(adds) else None))
    return pairs


def _split_rows_html(
    fv: FileView, *, link: bool, title: str, render_conv: Any, comment_form: Any
) -> str:
    """Rows of the side-by-side table: old line number and text, new line number and text.
    Comments are anchored to new-side lines, so they follow the row of their new line."""
    out: list[str] = []
    empty = '<td class="ln d-empty"></td><td class="code d-empty"></td>'
    for left, right in _split_pairs(fv.rows):
        if left is not None and left is right and left[0].kind == "hunk":
            out.append(
                f'<tr class="d-hunk"><td colspan="4" class="code">{escape(left[0].text)}</td></tr>'
            )
            continue
        cells: list[str] = []
        if left is None:
            cells.append(empty)
        else:
            line = left[0]
            kind = "ctx" if line.kind == "ctx" else "del"
            sign = " " if kind == "ctx" else "-"
            cells.append(
                f'<td class="ln">{line.old_no or ""}</td>'
                f'<td class="code d-{kind}">{sign}{escape(line.text)}</td>'
            )
        if right is None:
            cells.append(empty)
        else:
            line = right[0]
            kind = "ctx" if line.kind == "ctx" else "add"
            sign = " " if kind == "ctx" else "+"
            no = ""
            if line.new_no:
                no = _line_link(fv, line.new_no, title, "split") if link else str(line.new_no)
            cells.append(
                f'<td class="ln">{no}</td><td class="code d-{kind}">{sign}{escape(line.text)}</td>'
            )
        out.append(f'<tr class="d-split">{"".join(cells)}</tr>')
        if right is not None:
            for conv in right[1]:
                out.append(f'<tr class="d-comments"><td colspan="4">{render_conv(conv)}</td></tr>')
            no_ = right[0].new_no
            if no_ and comment_form is not None and comment_form[0] == no_:
                out.append(f'<tr class="d-comments"><td colspan="4">{comment_form[1]}</td></tr>')
    return "".join(out)


def _rows(
    diff: FileDiff, at: dict[tuple[str, int], list[Conversation]]
) -> list[tuple[DiffLine, list[Conversation]]]:
    """Each diff line with the (current) conversations anchored to it."""
    path = diff.path
    none: list[Conversation] = []  # one shared empty list: most lines have no comment
    if not any(key[0] == path for key in at):
        return [(line, none) for line in diff.lines]
    return [(line, at.get((path, line.new_no or 0), none)) for line in diff.lines]


def _is_lfs(diff: FileDiff) -> bool:
    """A Git LFS pointer (the diff shows the pointer's lines, the file itself lives in LFS)."""
    return any(line.kind in {"add", "del"} and line.text == LFS_POINTER for line in diff.lines)


def conversations(thread: Thread, head: str | None) -> list[Conversation]:
    """The pull request's review conversations in order, each with its replies."""
    found: dict[int, Conversation] = {}
    loose: list[ReviewComment] = []
    for comment in thread.review_comments.select_related("author"):
        if comment.in_reply_to_id is None:
            found[comment.pk] = Conversation(comment, outdated=pulls.is_outdated(comment, head))
        else:
            loose.append(comment)
    for comment in loose:
        root = comment
        while root.in_reply_to_id is not None and root.in_reply_to_id not in found:
            parent = root.in_reply_to
            assert parent is not None
            root = parent
        if root.in_reply_to_id in found:
            found[root.in_reply_to_id].replies.append(comment)
    return list(found.values())


def pull_context(
    request: HttpRequest, access: RepoAccess, thread: Thread, section_path: str
) -> dict[str, Any]:
    """What the pull request's page shows beyond the thread: the tab's content."""
    tab = request.GET.get("tab", "conversation")
    if tab not in TABS:
        tab = "conversation"
    style = "split" if request.GET.get("style") == "split" else "unified"
    found = pulls.changes(thread, with_diff=False)
    convs = conversations(thread, found.head)
    ctx: dict[str, Any] = {
        "tab": tab,
        "style": style,
        "changes": found,
        "conversations": convs,
        "reviews": list(
            thread.reviews.select_related("author").filter(
                ~Q(state=Review.State.COMMENTED) | ~Q(body="")
            )
        ),
        "decisions": _decisions(thread),
        "can_resolve": access.can_write
        or (access.who.user is not None and access.who.user.pk == thread.author_id),
        "can_review": access.who.is_authenticated,
    }
    if tab == "files":
        ctx.update(_files_tab(request, access, thread, section_path, ctx, style))
    return ctx


PAGE_ROWS = 3000


def _window(files: list[FileDiff], start: int) -> range:
    """Files from ``start`` while their diff lines stay within :data:`PAGE_ROWS` (at least
    one file: a single huge file is already cut by the diff parser)."""
    start = max(0, min(start, len(files) - 1))
    rows, end = 0, start
    while end < len(files) and (end == start or rows + len(files[end].lines) <= PAGE_ROWS):
        rows += len(files[end].lines)
        end += 1
    return range(start, end)


def _part(window: range, total: int, style: str) -> dict[str, Any] | None:
    """The notice of a diff shown in parts: which files, and links to the neighbours."""
    if len(window) >= total:
        return None
    split = "&style=split" if style == "split" else ""
    prev_start = max(0, window.start - len(window))
    return {
        "first": window.start + 1,
        "last": window.stop,
        "total": total,
        "prev": f"?tab=files{split}&start={prev_start}" if window.start > 0 else None,
        "next": f"?tab=files{split}&start={window.stop}" if window.stop < total else None,
    }


def _files_tab(
    request: HttpRequest,
    access: RepoAccess,
    thread: Thread,
    section_path: str,
    ctx: dict[str, Any],
    style: str,
) -> dict[str, Any]:
    """The files-changed tab's HTML and totals. The diff of one (base, head) pair never
    changes, so without inline conversations or an open line form (whose HTML is per viewer:
    CSRF tokens, who may resolve) the rendered list is cached by the two commit ids, the
    layout, the language and whether line links show: a 500-file pull request is parsed
    and rendered once, not on every view. A large diff is shown in parts of about
    :data:`PAGE_ROWS` lines (``?start=K``: from file K; a line form's file is always in the
    part shown), with a notice and links to the other parts: a page of 40,000 rows
    is megabytes that a phone should not have to lay out."""
    found: pulls.Changes = ctx["changes"]
    convs: list[Conversation] = ctx["conversations"]
    line = request.GET.get("line", "")
    at_path, at_line = request.GET.get("path", ""), int(line) if line.isdigit() else 0
    link = bool(ctx["can_review"]) and thread.state == Thread.State.OPEN
    current = [conv for conv in convs if not conv.outdated]
    start_raw = request.GET.get("start", "")
    start = int(start_raw) if start_raw.isdigit() else 0
    key = None
    if not current and not at_path and found.head and found.base:
        key = "pull-files:" + ":".join(
            [
                str(thread.repository_id),
                found.merge_base or found.base,
                found.head,
                style,
                str(start),
                "l" if link else "-",
                get_language() or "",
            ]
        )
        hit = cache.get(key)
        if hit is not None:
            return dict(hit)
    diff, truncated = pulls.diff_of(thread, found)
    files = parse(diff)
    at: dict[tuple[str, int], list[Conversation]] = {}
    for conv in current:
        at.setdefault((conv.root.path, conv.root.line), []).append(conv)
    window = _window(files, start)
    wanted = next((i for i, f in enumerate(files) if f.path == at_path), None) if at_path else None
    if wanted is not None and wanted not in window:
        window = _window(files, wanted)
    views = [FileView(files[i], i, _is_lfs(files[i]), _rows(files[i], at)) for i in window]
    title = escape(gettext("Comment on this line"))
    base = {**ctx, "thread": thread, "access": access, "section_path": section_path}

    def render_conv(conv: Conversation) -> str:
        return render_to_string(
            "web/partials/pull_conversation_item.html", {**base, "conv": conv}, request
        )

    for fv in views:
        form = None
        if link and fv.diff.path == at_path and at_line:
            form = (
                at_line,
                render_to_string(
                    "web/partials/pull_line_form.html",
                    {**base, "path": at_path, "line": at_line},
                    request,
                ),
            )
        fv.html = _rows_html(
            fv, link=link, title=title, render_conv=render_conv, comment_form=form, style=style
        )
    out = {
        "file_count": len(files),
        "additions": sum(f.additions for f in files),
        "deletions": sum(f.deletions for f in files),
        "diff_truncated": truncated,
        "part": _part(window, len(files), style),
        "files_html": render_to_string(
            "web/partials/pull_files_list.html", {"files": views, "style": style}, request
        ),
    }
    if key is not None:
        cache.set(key, out, 24 * 3600)
    return out


@dataclass
class Decision:
    """A reviewer's latest approval or change request; ``counted`` when the reviewer has
    write access (a reader's review is shown but does not count toward the rule)."""

    review: Review
    counted: bool


def _decisions(thread: Thread) -> list[Decision]:
    """Each reviewer's latest approval or change request (what the merge box summarises)."""
    latest: dict[int | None, Review] = {}
    for rev in thread.reviews.select_related("author").exclude(state=Review.State.COMMENTED):
        latest[rev.author_id] = rev
    writers = protection.writers_among(
        thread.repository, [r.author for r in latest.values() if r.author is not None]
    )
    return [Decision(rev, rev.author_id in writers) for rev in latest.values()]


@require_POST
def pull_review(
    request: HttpRequest, owner: str, name: str, section: str, num: str
) -> HttpResponse:
    """Line comment, reply, resolve / unresolve, or a whole review (comment / approve /
    request changes)."""
    access = repo_access(request, owner, name)
    back = f"{access.repo.web_path}/{section}/{num}"
    if not access.who.is_authenticated:
        return login_redirect(request)
    try:
        thread = threads.thread_get(actor=access.who, repo=access.repo, number=int(num))
    except NotFound:
        raise Http404("no such thread") from None
    if not thread.is_pull:
        raise Http404("not a pull request")
    post = request.POST
    action = post.get("action", "review")
    body = post.get("body", "")
    where = "?" + urlencode({"tab": post.get("tab", "conversation")})
    try:
        if action == "line":
            line = post.get("line", "")
            made = reviewing.line_comment(
                actor=access.who,
                thread=thread,
                path=post.get("path", ""),
                line=int(line) if line.isdigit() else 0,
                body=body,
            )
            where += f"#rc-{made.pk}"
        elif action == "reply":
            made = reviewing.reply(
                actor=access.who, thread=thread, comment_id=_int(post, "comment"), body=body
            )
            where += f"#rc-{made.pk}"
        elif action in {"resolve", "unresolve"}:
            reviewing.set_resolved(
                actor=access.who,
                thread=thread,
                comment_id=_int(post, "comment"),
                resolved=action == "resolve",
            )
        elif action == "review":
            pulls.review(
                actor=access.who, thread=thread, state=post.get("state", "commented"), body=body
            )
        else:
            raise Http404("unknown action")
    except DomainError as exc:
        messages.error(request, explain(exc))
    return redirect(back + where)


def _int(post: Any, key: str) -> int:
    value = post.get(key, "")
    return int(value) if value.isdigit() else 0
