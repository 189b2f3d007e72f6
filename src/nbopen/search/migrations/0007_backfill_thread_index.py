"""Index the threads that existed before thread search (0006 creates an empty index): without
this, an upgraded site's issue-list search box would not find any older issue until an
operator ran ``nbopen search reindex-threads``.

It calls the indexing service with the current models (the analysis — jieba, pinyin — is not
something a historical model can repeat); the dependency on collab's latest migration at the
time makes the thread tables match them when this runs.
"""

from django.db import migrations


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    from nbopen.collab.models import Thread
    from nbopen.search import thread_index

    if Thread.objects.exists():
        thread_index.reindex_all()


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0006_thread_search"),
        ("collab", "0007_milestones_org_labels_reactions"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
