"""Indexes for search by prefix (`__prefix`): the employer's (a plain index on SQLite, the
pattern operator class on PostgreSQL), and on PostgreSQL the name's pattern index beside the
name's ordinary one (which keeps serving ORDER BY name under the database's collation; on
SQLite that one serves the prefix range too)."""

from django.db import migrations, models

NAME_INDEX = "member_name_prefix"


def create_name_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {NAME_INDEX} ON members_member "
            "(name varchar_pattern_ops)"
        )


def drop_name_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {NAME_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0009_history_triggers"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="member",
            index=models.Index(
                fields=["employer"],
                name="member_employer_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        migrations.RunPython(create_name_pattern_index, drop_name_pattern_index),
    ]
