"""Rate-limit counters need no crash safety (losing a window's hits after a crash is harmless),
so on PostgreSQL their table is UNLOGGED: every check-in bumps two counter rows, and a logged
table would make each of those wait for a WAL flush."""

from django.db import migrations


def unlogged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE core_ratecounter SET UNLOGGED")


def logged(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE core_ratecounter SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(unlogged, logged)]
