"""The audit log as a chain (heli.audit.chain): the digest and link columns, and the entries
already there linked and digested in id order. The table's update trigger is out of the way
meanwhile: disabled on PostgreSQL; on SQLite adding a column remakes the table, which drops
its trigger, so it is made again at the end."""

import importlib

from django.db import migrations, models

from heli.core.seal import chain_existing

TRIGGERS = importlib.import_module("heli.audit.migrations.0002_append_only_triggers")


def chain_entries(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_no_change")
    else:
        for statement in TRIGGERS.SQLITE_REVERSE:
            schema_editor.execute(statement)
    chain_existing(apps.get_model("audit", "AuditEntry"), schema_editor)
    if postgres:
        schema_editor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_no_change")
    else:
        for statement in TRIGGERS.SQLITE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only_triggers'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='digest',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='prev_digest',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(chain_entries, migrations.RunPython.noop),
    ]
