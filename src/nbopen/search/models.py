"""The search index: one row per findable thing, its facet values, and the term vocabulary.

The full-text structure itself is backend-specific and created by migration 0002: an FTS5
table ``search_fts`` on SQLite, a ``tsv tsvector`` column with a GIN index on PostgreSQL.
Everything else is portable and lives here.
"""

from __future__ import annotations

from django.db import models


class SearchDocument(models.Model):
    """A repository, organization or user as the search service sees it.

    The ``*_text`` columns hold analysed terms (space-separated, see ``analysis``): what the
    full-text index was built from, kept so a vocabulary diff and a rebuild need no source.
    Privacy is *not* stored here: queries join the live repository through the policy.
    """

    class Kind(models.TextChoices):
        REPO = "repo"
        ORG = "org"
        USER = "user"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    doc_type = models.CharField(max_length=8)  # model/dataset/code/org/user (indexes below)
    # Plain ids, not foreign keys (as in the event log): a deleted repository's document must
    # outlive the row until the indexer has also removed its terms from the full-text index.
    # Queries check the live repository through the policy, so a stale row is never shown.
    repository_id = models.BigIntegerField(null=True, blank=True, unique=True)
    organization_id = models.BigIntegerField(null=True, blank=True, unique=True)
    user_id = models.BigIntegerField(null=True, blank=True, unique=True)
    key = models.CharField(max_length=200)  # "owner/name" for repositories, else the name
    title = models.CharField(max_length=256)
    description = models.TextField(blank=True)
    owner_name = models.CharField(max_length=96, blank=True)
    name_text = models.TextField(blank=True)
    meta_text = models.TextField(blank=True)
    desc_text = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    words = models.TextField(blank=True)  # unstemmed Latin words, for the spelling dictionary
    likes = models.BigIntegerField(default=0)
    downloads = models.BigIntegerField(default=0)
    trending = models.FloatField(default=0.0)
    static_rank = models.FloatField(default=0.0)
    # Every document source sets both dates (services order by them without NULL handling).
    updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "search_document"
        # Browsing (no query) orders by a signal, then static rank, then id, often within one
        # type: these indexes hold exactly that order, so a page is an index walk that stops
        # after the page instead of a sort of every document (100k documents: ~120 ms → 1 ms).
        indexes = [
            models.Index(fields=["static_rank", "id"], name="search_doc_static"),
            models.Index(fields=["trending", "static_rank", "id"], name="search_doc_trending"),
            models.Index(fields=["likes", "static_rank", "id"], name="search_doc_likes"),
            models.Index(fields=["downloads", "static_rank", "id"], name="search_doc_downloads"),
            models.Index(fields=["doc_type", "static_rank", "id"], name="search_doc_type_static"),
            models.Index(
                fields=["doc_type", "trending", "static_rank", "id"], name="search_doc_type_trend"
            ),
            models.Index(
                fields=["doc_type", "likes", "static_rank", "id"], name="search_doc_type_likes"
            ),
            models.Index(
                fields=["doc_type", "downloads", "static_rank", "id"], name="search_doc_type_dl"
            ),
            models.Index(fields=["updated_at", "static_rank", "id"], name="search_doc_updated"),
            models.Index(fields=["created_at", "static_rank", "id"], name="search_doc_created"),
            models.Index(
                fields=["doc_type", "updated_at", "static_rank", "id"], name="search_doc_type_upd"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.doc_type}:{self.key}"


class SearchFacet(models.Model):
    """One facet value of one document (a document has many: languages, hardware, tags …)."""

    # The composite index below leads with the document, so no separate one for the FK.
    document = models.ForeignKey(
        SearchDocument, on_delete=models.CASCADE, related_name="facets", db_index=False
    )
    field = models.CharField(max_length=16)
    value = models.CharField(max_length=128)

    class Meta:
        db_table = "search_facet"
        indexes = [
            models.Index(fields=["field", "value", "document"], name="search_facet_fv"),
            # Covering for facet counts: from a matching document straight to its values.
            models.Index(fields=["document", "field", "value"], name="search_facet_dfv"),
        ]

    def __str__(self) -> str:
        return f"{self.field}={self.value}"


class SearchTerm(models.Model):
    """Every indexed term and how many documents contain it: the spelling dictionary."""

    term = models.CharField(max_length=64, primary_key=True)
    df = models.IntegerField(default=0)

    class Meta:
        db_table = "search_term"

    def __str__(self) -> str:
        return self.term


class IndexState(models.Model):
    """How far into the event log the index is: the id of the last event applied."""

    name = models.CharField(max_length=32, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "search_state"

    def __str__(self) -> str:
        return f"{self.name}@{self.last_event_id}"


class CodeFile(models.Model):
    """One text file of a repository's default branch, as code search holds it.

    ``content`` is the decoded text (line hits and highlighted fragments are cut from it at
    query time); ``path_text``/``body_text`` are the analysed terms the full-text structure
    was built from (created by migration 0005: FTS5 table ``code_fts`` on SQLite, a ``tsv``
    column with a GIN index on PostgreSQL). As with documents, ``repository_id`` is a plain
    id and privacy is never stored: queries join the live repository through the policy.
    """

    repository_id = models.BigIntegerField()
    path = models.CharField(max_length=1024)
    blob_oid = models.CharField(max_length=64)
    language = models.CharField(max_length=32, blank=True)
    size = models.IntegerField(default=0)
    repo_key = models.CharField(max_length=200)  # "owner/name", for display and the filter
    owner_name = models.CharField(max_length=96)
    repo_type = models.CharField(max_length=8)
    content = models.TextField()
    path_text = models.TextField(blank=True)
    body_text = models.TextField(blank=True)

    class Meta:
        db_table = "search_code_file"
        constraints = [
            models.UniqueConstraint(fields=["repository_id", "path"], name="search_code_repo_path")
        ]
        indexes = [
            models.Index(fields=["repo_key"], name="search_code_repo_key"),
            models.Index(fields=["owner_name"], name="search_code_owner"),
            models.Index(fields=["language"], name="search_code_language"),
        ]

    def __str__(self) -> str:
        return f"{self.repo_key}:{self.path}"


class CodeRepoState(models.Model):
    """Which commit of a repository's default branch its code files were indexed at."""

    repository_id = models.BigIntegerField(primary_key=True)
    commit = models.CharField(max_length=64, blank=True)
    files = models.IntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "search_code_state"

    def __str__(self) -> str:
        return f"{self.repository_id}@{self.commit[:12]}"


class ThreadDoc(models.Model):
    """An issue or pull request (with its comments) as thread search holds it.

    The primary key *is* the thread's id, so the full-text structure's row id names the
    thread and the issue list can ask it for thread ids without a join. ``scope_text`` holds
    the repository token (``r<id>``) a per-repository search intersects inside the
    full-text index; ``title_text``/``body_text`` the analysed terms (created by migration
    0006: FTS5 table ``thread_fts`` on SQLite, a ``tsv`` column with a GIN index on
    PostgreSQL). Kind and state are not stored either: queries join the live thread, so a
    closed issue is filtered as closed at once and a deleted one is never shown. As
    everywhere in search, privacy is never stored: queries join the live repository through
    the policy.
    """

    thread_id = models.BigIntegerField(primary_key=True)
    repository_id = models.BigIntegerField()
    scope_text = models.CharField(max_length=40)
    title_text = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "search_thread"
        indexes = [models.Index(fields=["repository_id"], name="search_thread_repo")]

    def __str__(self) -> str:
        return f"thread {self.thread_id}"
