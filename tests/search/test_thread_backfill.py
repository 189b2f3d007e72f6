"""Upgrading a site that has threads: the migration after thread search indexes them, so the
issue list's search box finds older issues without an operator step."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from nbopen.access.policy import Principal
from nbopen.collab import threads
from nbopen.search.models import ThreadDoc
from nbopen.search.thread_search import search_threads
from tests.search.helpers import make_repo, make_user


@pytest.mark.django_db(transaction=True)
def test_the_backfill_migration_indexes_existing_threads() -> None:
    owner = make_user("bfowner")
    repo = make_repo(owner, "bfowner", "harbour", type="code")
    thread = threads.create_thread(
        actor=Principal(user=owner), repo=repo, title="泊位调度超时", body="港口作业计划"
    )
    ThreadDoc.objects.all().delete()  # as on a site upgraded from before thread search
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("INSERT INTO thread_fts (thread_fts) VALUES ('delete-all')")
    executor = MigrationExecutor(connection)
    executor.migrate([("search", "0006_thread_search")])
    executor.loader.build_graph()
    assert not search_threads(principal=Principal(user=owner), q="泊位").threads
    executor.migrate([("search", "0007_backfill_thread_index")])
    found = search_threads(principal=Principal(user=owner), q="泊位")
    assert [t.pk for t in found.threads] == [thread.pk]
