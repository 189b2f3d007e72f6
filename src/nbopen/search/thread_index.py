"""Thread search's index: issues and pull requests (title, opening text, comments).

Same engines and analysis as repository and code search (ADR 0006, ADR 0029): jieba and
Snowball terms plus the toneless pinyin of Chinese words, stored as text in
``search_thread`` and indexed by an FTS5 table ``thread_fts`` (external content,
``detail=column``) on SQLite or a ``tsv`` column with a GIN index on PostgreSQL.

The row's id is the thread's id, and every row carries its repository as a token (``r<id>``
in its own FTS5 column on SQLite, ``#r<id>`` in the tsvector on PostgreSQL, a form the query
analysis never produces), so "matching threads of this repository" is one intersection
inside the full-text index: the issue list of a 50,000-issue repository searches without
reading its other rows (bench/collab.py).

Kept current by ``search.tasks``: every ``issue.*``/``pull.*``/``thread.*`` event defers
``sync(thread_id)``, which re-reads the thread and rewrites its row (idempotent, so a late
or repeated job gives the same index); ``repo.delete`` drops the repository's rows.
``nbopen search reindex-threads`` rebuilds everything.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import connection, transaction
from django.utils import timezone

from nbopen.collab.models import Comment, Thread
from nbopen.search.analysis import Group, is_cjk, pinyin_terms, terms
from nbopen.search.backends import _pg_quote, fts5_expression, tsquery_expression, vendor
from nbopen.search.models import ThreadDoc

log = logging.getLogger(__name__)
MAX_TEXT = 200_000  # characters of comments analysed per thread (the title always is)
MAX_PG_TERMS = 20_000
BATCH = 2_000

Row = tuple[int, str, str, str]  # (thread_id, scope_text, title_text, body_text)


def scope_token(repository_id: int) -> str:
    return f"r{int(repository_id)}"


def _analysed(text: str) -> list[str]:
    out = terms(text)
    if is_cjk(text):
        out += pinyin_terms(text)
    return out


def analyse(title: str, bodies: Sequence[str]) -> tuple[str, str]:
    """(title terms, body terms) of one thread, as stored and indexed."""
    body: list[str] = []
    budget = MAX_TEXT
    for text in bodies:
        if budget <= 0:
            break
        body += _analysed(text[:budget])
        budget -= len(text)
    return " ".join(_analysed(title)), " ".join(body)


def _tsvector(scope: str, title: str, body: str) -> str:
    """The repository token, title terms weighted A (``title_hits`` matches them alone), the
    text's terms D; no positions are needed (no phrase queries)."""
    weights: dict[str, str] = {}
    for term in body.split():
        weights.setdefault(term, "D")
    for term in title.split():
        weights[term] = "A"
    items = list(weights.items())[:MAX_PG_TERMS]
    return " ".join([f"{_pg_quote('#' + scope)}:1"] + [f"{_pg_quote(t)}:1{w}" for t, w in items])


def _forget(rows: Sequence[Row]) -> None:
    if rows and vendor() == "sqlite":
        with connection.cursor() as cur:
            cur.executemany(
                "INSERT INTO thread_fts (thread_fts, rowid, scope_text, title_text, body_text)"
                " VALUES ('delete', %s, %s, %s, %s)",
                [list(r) for r in rows],
            )


def _store(rows: Sequence[Row]) -> None:
    if not rows:
        return
    with connection.cursor() as cur:
        if vendor() == "postgresql":
            cur.executemany(
                "UPDATE search_thread SET tsv = %s::tsvector WHERE thread_id = %s",
                [(_tsvector(s, t, b), i) for i, s, t, b in rows],
            )
        else:
            cur.executemany(
                "INSERT INTO thread_fts (rowid, scope_text, title_text, body_text)"
                " VALUES (%s, %s, %s, %s)",
                [list(r) for r in rows],
            )


def _stored(ids: Sequence[int]) -> list[Row]:
    return list(
        ThreadDoc.objects.filter(thread_id__in=ids).values_list(
            "thread_id", "scope_text", "title_text", "body_text"
        )
    )


def _remove(ids: Sequence[int]) -> int:
    old = _stored(ids)
    _forget(old)
    ThreadDoc.objects.filter(thread_id__in=[r[0] for r in old]).delete()
    return len(old)


@transaction.atomic
def write(threads: Sequence[Thread], bodies: dict[int, list[str]]) -> int:
    """Replace the rows of ``threads`` (``bodies``: each thread's visible comment texts,
    opening first)."""
    _remove([t.pk for t in threads])
    now = timezone.now()
    docs = []
    for thread in threads:
        title, body = analyse(thread.title, bodies.get(thread.pk, []))
        docs.append(
            ThreadDoc(
                thread_id=thread.pk,
                repository_id=thread.repository_id,
                scope_text=scope_token(thread.repository_id),
                title_text=title,
                body_text=body,
                updated_at=now,
            )
        )
    ThreadDoc.objects.bulk_create(docs, batch_size=BATCH)
    _store([(d.thread_id, d.scope_text, d.title_text, d.body_text) for d in docs])
    return len(docs)


def _bodies(thread_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    rows = (
        Comment.objects.filter(thread_id__in=thread_ids, hidden=False)
        .order_by("thread_id", "-opening", "id")
        .values_list("thread_id", "body")
    )
    for thread_id, body in rows.iterator(chunk_size=BATCH):
        out.setdefault(thread_id, []).append(body)
    return out


def sync(thread_id: int) -> int:
    """Bring one thread's row in line with the thread (a deleted thread loses its row)."""
    thread = Thread.objects.filter(pk=thread_id).first()
    if thread is None:
        with transaction.atomic():
            return -_remove([thread_id])
    return write([thread], _bodies([thread.pk]))


def sync_repository(repository_id: int) -> int:
    """Rewrite every thread row of one repository (fixtures, a restore, the CLI)."""
    remove_repository(repository_id)
    threads = Thread.objects.filter(repository_id=repository_id).order_by("pk")
    ids = list(threads.values_list("pk", flat=True))
    written = 0
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        written += write(list(Thread.objects.filter(pk__in=part)), _bodies(part))
    return written


@transaction.atomic
def remove_repository(repository_id: int) -> int:
    """Drop a repository's rows (it was deleted; its threads went with it)."""
    ids = list(
        ThreadDoc.objects.filter(repository_id=repository_id).values_list("thread_id", flat=True)
    )
    removed = 0
    for start in range(0, len(ids), BATCH):
        removed += _remove(ids[start : start + BATCH])
    return removed


def reindex_all() -> dict[str, int]:
    """Rebuild thread search from every thread (``nbopen search reindex-threads``)."""
    with transaction.atomic():
        if vendor() == "sqlite":
            with connection.cursor() as cur:
                cur.execute("INSERT INTO thread_fts (thread_fts) VALUES ('delete-all')")
        ThreadDoc.objects.all().delete()
    repos = Thread.objects.order_by().values_list("repository_id", flat=True).distinct()
    return {"threads": sum(sync_repository(r) for r in repos)}


# --- matching (used by thread_search and by the issue list's filter) ---


def match_sql(groups: Sequence[Group], repository_id: int | None = None) -> tuple[str, list[str]]:
    """SQL selecting the ids of threads matching ``groups`` (of one repository, if given):
    a subquery for ``collab_thread.id IN (…)`` or a window walk."""
    if vendor() == "postgresql":
        query = tsquery_expression(groups)
        if repository_id is not None:
            query = f"{_pg_quote('#' + scope_token(repository_id))} & ({query})"
        return "SELECT thread_id FROM search_thread WHERE tsv @@ %s::tsquery", [query]
    # Query terms only in the text columns: a user typing "r5" must not match the scope.
    query = "{title_text body_text} : (" + fts5_expression(groups) + ")"
    if repository_id is not None:
        query = f'scope_text : "{scope_token(repository_id)}" AND ' + query
    return "SELECT rowid FROM thread_fts WHERE thread_fts MATCH %s", [query]


def _title_tsquery(groups: Sequence[Group]) -> str:
    """The query restricted to title terms (weight A in the tsvector)."""
    parts = []
    for group in groups:
        alts = [_pg_quote(t) + (":*A" if prefix else ":A") for t, prefix in group.alternatives]
        parts.append("(" + " | ".join(alts) + ")")
    return " & ".join(parts)


def title_hits(ids: Sequence[int], groups: Sequence[Group]) -> dict[int, float]:
    """Text relevance of the given matching threads: 3.0 when the title matches the whole
    query too, else 1.0 (ties stay newest first). One restricted match over the ids on
    either engine: bm25 (FTS5) reads each row's term statistics and costs what the rest of
    the query does (ADR 0029), and ``ts_rank`` over position-less terms says nothing more."""
    if not ids:
        return {}
    with connection.cursor() as cur:
        if vendor() == "postgresql":
            cur.execute(
                "SELECT thread_id FROM search_thread WHERE thread_id = ANY(%s)"
                " AND tsv @@ %s::tsquery",
                [list(ids), _title_tsquery(groups)],
            )
        else:
            cur.execute(
                "SELECT rowid FROM thread_fts WHERE thread_fts MATCH %s"
                " AND rowid BETWEEN %s AND %s",
                ["title_text : (" + fts5_expression(groups) + ")", min(ids), max(ids)],
            )
        in_title = {int(r[0]) for r in cur.fetchall()}
    return {i: 3.0 if i in in_title else 1.0 for i in ids}
