"""Writing the index: one document at a time (event-driven) or everything (rebuild).

The event log is the source of truth for *what changed*; the rows are the truth for *what
is*. So applying an event means "re-read this object and rewrite its document", which is
idempotent: applying an event twice, or late, or out of order gives the same index.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Max

from nbopen.accounts.models import User
from nbopen.collab.models import Like
from nbopen.core.models import Event
from nbopen.orgs.models import Organization
from nbopen.repos.models import Repository
from nbopen.search import backends, scoring_window, spelling
from nbopen.search import trending as trending_job
from nbopen.search.documents import (
    DocData,
    organization_doc,
    repository_doc,
    static_rank,
    user_doc,
)
from nbopen.search.models import IndexState, SearchDocument, SearchFacet, SearchTerm

log = logging.getLogger(__name__)
STATE = "events"
CHUNK = 500
MAX_TERM_LENGTH = 64

# Events that change nothing a document holds (the download count arrives by signals_update).
UNINDEXED_KINDS = frozenset({"repo.download"})

_OWNER_FIELD = {"repo": "repository_id", "org": "organization_id", "user": "user_id"}


def _all_terms(fields: Iterable[Iterable[str]]) -> set[str]:
    return {t[:MAX_TERM_LENGTH] for f in fields for t in f}


def _stored_terms(doc: SearchDocument) -> set[str]:
    return _all_terms(
        t.split() for t in (doc.name_text, doc.meta_text, doc.desc_text, doc.body_text, doc.words)
    )


def _chunks(items: list[str], size: int = CHUNK) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _vocab_adjust(added: set[str], removed: set[str]) -> None:
    if added:
        new = sorted(added)
        SearchTerm.objects.bulk_create(
            [SearchTerm(term=t, df=0) for t in new], ignore_conflicts=True, batch_size=CHUNK
        )
        for part in _chunks(new):
            SearchTerm.objects.filter(term__in=part).update(df=F("df") + 1)
    for part in _chunks(sorted(removed)):
        SearchTerm.objects.filter(term__in=part).update(df=F("df") - 1)
    if added or removed:
        spelling.invalidate()


def _find(kind: str, object_id: int) -> SearchDocument | None:
    return SearchDocument.objects.filter(**{_OWNER_FIELD[kind]: object_id}).first()


def _new_document(
    data: DocData, object_id: int, *, likes: int, downloads: int, trending: float
) -> SearchDocument:
    """An unsaved document row for one object, with the popularity signals given."""
    return SearchDocument(
        kind=data.kind,
        doc_type=data.doc_type,
        key=data.key[:200],
        title=data.title[:256],
        description=data.description,
        owner_name=data.owner_name[:96],
        name_text=" ".join(data.fields[0]),
        meta_text=" ".join(data.fields[1]),
        desc_text=" ".join(data.fields[2]),
        body_text=" ".join(data.fields[3]),
        words=" ".join(sorted(data.words)),
        likes=likes,
        downloads=downloads,
        trending=trending,
        static_rank=static_rank(likes=likes, downloads=downloads, updated_at=data.updated_at),
        updated_at=data.updated_at,
        created_at=data.created_at,
        extra=data.extra,
        **{_OWNER_FIELD[data.kind]: object_id},
    )


@transaction.atomic
def write_document(data: DocData, object_id: int) -> SearchDocument:
    """Create or replace the document of one object.

    A replaced document keeps its id, so a search running meanwhile (its statements see
    successive snapshots) still finds it by the id the engine gave. Ids therefore order
    documents by when they were first indexed; a rebuild (``reindex_all``) renumbers them in
    order of last change. Popularity signals carry over.
    """
    doc = _find(data.kind, object_id)
    old_terms = _stored_terms(doc) if doc is not None else set()
    likes = data.likes if data.kind == "repo" else (doc.likes if doc is not None else 0)
    downloads, trending = (doc.downloads, doc.trending) if doc is not None else (0, 0.0)
    fresh = _new_document(data, object_id, likes=likes, downloads=downloads, trending=trending)
    if doc is not None:
        fresh.pk = doc.pk  # saved as an UPDATE of the same row
        SearchFacet.objects.filter(document=doc).delete()
    fresh.save()
    doc = fresh
    SearchFacet.objects.bulk_create(
        [SearchFacet(document=doc, field=f, value=v) for f, v in sorted(data.facets)]
    )
    backends.write(doc.pk, data.fields)
    new_terms = _all_terms([*data.fields, data.words])
    _vocab_adjust(new_terms - old_terms, old_terms - new_terms)
    return doc


@transaction.atomic
def remove_document(kind: str, object_id: int) -> bool:
    doc = _find(kind, object_id)
    if doc is None:
        return False
    _vocab_adjust(set(), _stored_terms(doc))
    backends.delete([doc.pk])
    doc.delete()
    return True


def index_repository(repo_id: int) -> None:
    repo = Repository.objects.select_related("owner__organization").filter(pk=repo_id).first()
    if repo is None:
        remove_document("repo", repo_id)
    else:
        data = repository_doc(repo)
        data.likes = Like.objects.filter(repository_id=repo_id).count()
        write_document(data, repo_id)


def index_organization(org_id: int) -> None:
    org = Organization.objects.filter(pk=org_id).first()
    if org is None:
        remove_document("org", org_id)
    else:
        write_document(organization_doc(org), org_id)


def index_user(user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active:
        remove_document("user", user_id)
    else:
        write_document(user_doc(user), user_id)


def apply_event(
    kind: str, repository_id: int | None, organization_id: int | None, actor_id: int | None
) -> None:
    """Bring the index up to date with one event (idempotent)."""
    if kind in UNINDEXED_KINDS:
        return
    if kind.startswith("repo.") and repository_id is not None:
        index_repository(repository_id)
    elif kind.startswith("org.") and organization_id is not None:
        index_organization(organization_id)
    elif kind.startswith("user.") and actor_id is not None:
        index_user(actor_id)


def cursor() -> int:
    """The id of the last event applied to the index."""
    value = IndexState.objects.filter(name=STATE).values_list("last_event_id", flat=True).first()
    return int(value or 0)


def _state() -> IndexState:
    IndexState.objects.get_or_create(name=STATE)
    return IndexState.objects.select_for_update().get(name=STATE)


def index_pending(batch: int = 500) -> int:
    """Apply every event after the cursor; returns how many events were read.

    Several events about one object in a batch cost one reindex of it. Runs under a row lock
    on the cursor, so two workers never apply the same batch at once.
    """
    total = 0
    while True:
        with transaction.atomic():
            state = _state()
            rows = list(
                Event.objects.filter(pk__gt=state.last_event_id)
                .order_by("pk")
                .values_list("pk", "kind", "repository_id", "organization_id", "actor_id")[:batch]
            )
            if not rows:
                return total
            seen: set[tuple[str, int | None, int | None, int | None]] = set()
            for _pk, kind, repo_id, org_id, actor_id in rows:
                key = (kind.split(".", 1)[0], repo_id, org_id, actor_id)
                if key not in seen:
                    seen.add(key)
                    apply_event(kind, repo_id, org_id, actor_id)
            state.last_event_id = rows[-1][0]
            state.save(update_fields=["last_event_id", "updated_at"])
            total += len(rows)


def catch_up() -> None:
    """Apply pending events now if the index is behind the log (read-your-writes).

    For lists that must show what the caller just wrote (the Hub API's ``list_models``):
    the background job usually got there first, and then this costs one indexed read.
    """
    if Event.objects.filter(pk__gt=cursor()).exists():
        index_pending()


def signals_update(
    *,
    repository_id: int,
    downloads: int | None = None,
    trending: float | None = None,
) -> None:
    """Set a repository's download count or trending score (for analytics jobs).

    Likes are not set here: they are counted from ``collab.Like`` whenever the repository is
    indexed (a like is a ``repo.like`` event), so they survive rebuilds by construction.
    """
    doc = _find("repo", repository_id)
    if doc is None:
        return
    if downloads is not None:
        doc.downloads = max(0, downloads)
    if trending is not None:
        doc.trending = max(0.0, trending)
    doc.static_rank = static_rank(
        likes=doc.likes, downloads=doc.downloads, updated_at=doc.updated_at
    )
    doc.save(update_fields=["likes", "downloads", "trending", "static_rank", "indexed_at"])


def _bulk(
    items: list[tuple[int, DocData]],
    signals: dict[tuple[str, int], tuple[int, int, float]],
    df: Counter[str],
) -> None:
    docs = []
    for object_id, data in items:
        likes, downloads, trending = signals.get((data.kind, object_id), (0, 0, 0.0))
        likes = data.likes if data.kind == "repo" else likes
        docs.append(
            _new_document(data, object_id, likes=likes, downloads=downloads, trending=trending)
        )
    created = SearchDocument.objects.bulk_create(docs)
    with connection.cursor() as cur:  # raw: model instances per facet row cost more than SQL
        cur.executemany(
            "INSERT INTO search_facet (document_id, field, value) VALUES (%s, %s, %s)",
            [
                (doc.pk, f, v)
                for doc, (_, data) in zip(created, items, strict=True)
                for f, v in sorted(data.facets)
            ],
        )
    backends.write_many(
        [(doc.pk, data.fields) for doc, (_, data) in zip(created, items, strict=True)]
    )
    for _, data in items:
        df.update(_all_terms([*data.fields, data.words]))


def _with_likes(data: DocData, likes: dict[int, int]) -> DocData:
    data.likes = likes.get(data.extra.get("repository_id", 0), 0)
    return data


def reindex_all(
    *, progress: Callable[[int], None] | None = None, batch: int = 1000
) -> dict[str, Any]:
    """Rebuild the whole index from the rows (``nbopen search reindex``).

    One transaction: searchers keep seeing the old index until the new one is complete.
    Popularity signals are carried over; the event cursor moves to the log's end.
    """
    with transaction.atomic():
        state = _state()
        last_event = Event.objects.aggregate(m=Max("pk"))["m"] or 0
        signals: dict[tuple[str, int], tuple[int, int, float]] = {}
        old = SearchDocument.objects.values_list(
            "kind", "repository_id", "organization_id", "user_id", "likes", "downloads", "trending"
        )
        for kind, rid, oid, uid, likes, downloads, trending in old:
            signals[(kind, rid or oid or uid or 0)] = (likes, downloads, trending)
        SearchFacet.objects.all().delete()
        SearchDocument.objects.all().delete()
        SearchTerm.objects.all().delete()
        backends.clear()
        df: Counter[str] = Counter()
        count = 0
        like_counts = dict(
            Like.objects.values("repository_id")
            .annotate(n=Count("pk"))
            .values_list("repository_id", "n")
        )
        # Least recently changed first: after a rebuild, ids follow the order of last change.
        repos = Repository.objects.select_related("owner__organization").order_by(
            F("updated_at").asc(nulls_first=True), "pk"
        )
        sources: list[tuple[Iterable[Any], Callable[[Any], DocData]]] = [
            (
                repos.iterator(chunk_size=batch),
                lambda r: _with_likes(repository_doc(r), like_counts),
            ),
            (Organization.objects.order_by("pk").iterator(chunk_size=batch), organization_doc),
            (
                User.objects.filter(is_active=True).order_by("pk").iterator(chunk_size=batch),
                user_doc,
            ),
        ]
        for rows, build in sources:
            pending: list[tuple[int, DocData]] = []
            for row in rows:
                pending.append((row.pk, build(row)))
                if len(pending) >= batch:
                    _bulk(pending, signals, df)
                    count += len(pending)
                    pending = []
                    if progress:
                        progress(count)
            if pending:
                _bulk(pending, signals, df)
                count += len(pending)
        SearchTerm.objects.bulk_create(
            [SearchTerm(term=t, df=n) for t, n in df.items()], batch_size=5000
        )
        state.last_event_id = last_event
        state.save(update_fields=["last_event_id", "updated_at"])
    if connection.vendor == "postgresql":
        # Fresh statistics, so the planner knows how selective terms and facets are.
        with connection.cursor() as cur:
            cur.execute("ANALYZE search_document")
            cur.execute("ANALYZE search_facet")
    spelling.invalidate()
    scoring_window.invalidate()
    trending_job.refresh()
    return {"documents": count, "terms": len(df), "last_event_id": last_event}
