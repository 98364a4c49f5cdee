"""Gap-free counters behind document numbers (接警单号, 案件编号)."""

from django.db import connection, models


def increment(model: type[models.Model], **key) -> int:
    """Add one to `model.last` for the row identified by `key` (created at 1) and return it.

    One upsert statement: its row lock makes concurrent callers get consecutive values, never the
    same one (SQLite ≥ 3.35 and PostgreSQL both speak INSERT … ON CONFLICT … RETURNING). `model`
    needs a unique constraint over exactly the `key` fields and an integer field `last`. Call it
    inside the transaction that uses the number, so a rolled-back action leaves no gap.
    """
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = [model._meta.get_field(name).column for name in key]
    values = [model._meta.get_field(name).get_db_prep_value(v, connection) for name, v in key.items()]
    placeholders = ", ".join(["%s"] * len(columns))
    sql = (
        f"INSERT INTO {table} ({', '.join(map(qn, columns))}, {qn('last')}) VALUES ({placeholders}, 1) "  # noqa: S608
        f"ON CONFLICT ({', '.join(map(qn, columns))}) DO UPDATE SET {qn('last')} = {table}.{qn('last')} + 1 "
        f"RETURNING {qn('last')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone()[0]
