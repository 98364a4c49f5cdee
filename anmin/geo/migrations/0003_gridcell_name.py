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
    GridCell.objects.bulk_update(cells, ["name"], batch_size=BATCH)


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
