"""Grid cells get a name (河西所第17网格): numbered per station, nearest to its 派出所驻地 first.

The existing cells are named by `anmin.geo.naming`, the same rules a new cell's save() follows,
in batches: a city's 17,000 cells take a few seconds on either database. The per-station unique
constraint is added once every row has its name.
"""

from django.db import migrations, models

from anmin.geo import naming

BATCH = 2000


def name_cells(apps, schema_editor):
    GridCell = apps.get_model("geo", "GridCell")
    Organization = apps.get_model("org", "Organization")
    Post = apps.get_model("geo", "Post")
    cells = list(GridCell.objects.only("h3", "lat", "lon", "jurisdiction_id").order_by("h3"))
    if not cells:
        return
    stations = {cell.jurisdiction_id for cell in cells}
    naming.assign(
        cells,
        labels=naming.station_labels(Organization.objects, stations),
        origins=naming.station_origins(Post.objects, stations),
    )
    # One prepared UPDATE run for many rows: bulk_update's CASE over a batch costs a row the whole
    # batch again (10 s for 17,000 cells); executemany takes well under a second on either database.
    qn = schema_editor.connection.ops.quote_name
    sql = f"UPDATE {qn(GridCell._meta.db_table)} SET {qn('name')} = %s WHERE {qn('h3')} = %s"  # noqa: S608
    with schema_editor.connection.cursor() as cursor:
        for start in range(0, len(cells), BATCH):
            cursor.executemany(sql, [(cell.name, cell.h3) for cell in cells[start : start + BATCH]])


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0002_initial"),
        ("org", "0004_encrypt_officer_phone"),
    ]

    operations = [
        migrations.AddField(
            model_name="gridcell",
            name="name",
            field=models.CharField(
                db_index=True,
                default="",
                editable=False,
                help_text="按派出所自动编号：距派出所驻地由近及远，新增或改划的网格取该所下一个编号",
                max_length=80,
                verbose_name="网格名称",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(name_cells, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="gridcell",
            constraint=models.UniqueConstraint(fields=("jurisdiction", "name"), name="geo_gridcell_name_per_station"),
        ),
    ]
