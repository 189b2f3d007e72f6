"""Backend-specific full-text structures (see ``nbopen.search.backends``)."""

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE search_document ADD COLUMN tsv tsvector")
        schema_editor.execute("CREATE INDEX search_document_tsv ON search_document USING gin (tsv)")
    else:
        # Terms arrive pre-segmented and space-separated; unicode61 only splits on the spaces.
        # prefix='1 2 3' indexes short prefixes so typing-as-you-go stays cheap.
        schema_editor.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "name, meta, descr, body, tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
        )


def backwards(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS search_document_tsv")
        schema_editor.execute("ALTER TABLE search_document DROP COLUMN IF EXISTS tsv")
    else:
        schema_editor.execute("DROP TABLE IF EXISTS search_fts")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
