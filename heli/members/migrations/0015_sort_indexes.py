"""Indexes for every sortable column of the roll, (column, id), and the digests' indexes
declared on the model instead of the fields: PostgreSQL kept a LIKE index (varchar_pattern_ops)
beside each digest, the unique ID digest's too, that no query reads.

The database side is done by hand (SeparateDatabaseAndState): Django would alter the fields
on SQLite by copying the member table, which at a million members takes minutes and drops
the tally triggers; dropping and creating indexes is all that changes.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SINGLE_COLUMN_INDEXES = (
    "id_tail_digest",
    "phone_digest",
    "phone_tail_digest",
    "org_id",
    "residence_grid_id",
)


NEW_INDEXES = [
    models.Index(fields=["id_tail_digest"], name="member_id_tail"),
    models.Index(fields=["phone_digest"], name="member_phone"),
    models.Index(fields=["phone_tail_digest"], name="member_phone_tail"),
    *(
        models.Index(fields=[column, "id"], name=f"member_by_{column}")
        for column in ("joined_on", "status", "org", "residence_grid")
    ),
]


def _indexes(schema_editor, model, column: str) -> list[str]:
    return schema_editor._constraint_names(
        model, [column], index=True, unique=False, primary_key=False
    )


def forward(apps, schema_editor) -> None:
    member = apps.get_model("members", "Member")
    for column in SINGLE_COLUMN_INDEXES:
        for name in _indexes(schema_editor, member, column):
            schema_editor.execute(schema_editor._delete_index_sql(member, name))
    if schema_editor.connection.vendor == "postgresql":  # the unique digest's LIKE index
        for name in _indexes(schema_editor, member, "id_digest"):
            schema_editor.execute(schema_editor._delete_index_sql(member, name))
    for index in NEW_INDEXES:
        schema_editor.add_index(member, index)
    # The planner's statistics of the new indexes: without them SQLite read a million-member
    # roll through the wrong one (its list 57 ms before the migration, 1.3 s after it).
    schema_editor.execute("ANALYZE members_member")


def backward(apps, schema_editor) -> None:
    member = apps.get_model("members", "Member")
    for index in NEW_INDEXES:
        schema_editor.remove_index(member, index)
    for column in SINGLE_COLUMN_INDEXES:
        field = member._meta.get_field(column.removesuffix("_id"))
        schema_editor.execute(schema_editor._create_index_sql(member, fields=[field]))


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0014_status_direction_statistics"),
        ("orgs", "0003_name_initials"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="member",
                    name="id_tail_digest",
                    field=models.CharField(blank=True, editable=False, max_length=64),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="org",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="members",
                        to="orgs.partyorg",
                        verbose_name="organization holding the relationship",
                    ),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="phone_digest",
                    field=models.CharField(blank=True, editable=False, max_length=64),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="phone_tail_digest",
                    field=models.CharField(blank=True, editable=False, max_length=64),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="residence_grid",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="residents",
                        to="orgs.region",
                        verbose_name="residence grid",
                    ),
                ),
                *(migrations.AddIndex(model_name="member", index=index) for index in NEW_INDEXES),
            ],
            database_operations=[migrations.RunPython(forward, backward)],
        ),
    ]
