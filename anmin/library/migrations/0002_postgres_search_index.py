"""A GIN index for full-text search on PostgreSQL; nothing on SQLite (see anmin/library/search.py).

The indexed expression must be exactly the one Django compiles for
SearchVector("search_text", config="simple"), or the planner will not use it:
to_tsvector('simple'::regconfig, COALESCE(search_text, '')). tests/test_library.py checks with EXPLAIN.
"""

from django.db import migrations

INDEX = "library_typicalcase_search_gin"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON library_typicalcase "
        "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_text, '')))"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
