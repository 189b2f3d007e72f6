"""Creation time on documents, for the Hub API's ``sort=createdAt`` (filled for old rows)."""

from django.db import migrations, models

FILL = [
    "UPDATE search_document SET created_at = (SELECT r.created_at FROM repos_repository r"
    " WHERE r.id = search_document.repository_id) WHERE repository_id IS NOT NULL",
    "UPDATE search_document SET created_at = (SELECT o.created_at FROM orgs_organization o"
    " WHERE o.id = search_document.organization_id) WHERE organization_id IS NOT NULL",
    "UPDATE search_document SET created_at = (SELECT u.date_joined FROM accounts_user u"
    " WHERE u.id = search_document.user_id) WHERE user_id IS NOT NULL",
]


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0002_fulltext"),
        ("repos", "0001_initial"),
        ("orgs", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="searchdocument",
            name="created_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="searchdocument",
            index=models.Index(fields=["created_at"], name="search_doc_created"),
        ),
        *(migrations.RunSQL(sql, migrations.RunSQL.noop) for sql in FILL),
    ]
