"""The audit log's own triggers (0002) give way to the ones every history table has
(heli.core.history): DELETE refused on SQLite too, TRUNCATE refused on PostgreSQL, and all
three open only in maintenance."""

from importlib import import_module

from django.db import migrations

from heli.core.history import append_only_triggers

earlier = import_module("heli.audit.migrations.0002_append_only_triggers")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_chain_audit_entries"),
        ("core", "0005_append_only_trigger_function"),
    ]

    operations = [
        migrations.RunPython(
            earlier._run(
                {"sqlite": earlier.SQLITE_REVERSE, "postgresql": earlier.POSTGRES_REVERSE}
            ),
            earlier._run({"sqlite": earlier.SQLITE, "postgresql": earlier.POSTGRES}),
        ),
        append_only_triggers("audit_auditentry"),
    ]
