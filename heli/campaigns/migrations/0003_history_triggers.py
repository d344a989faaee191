"""Triggers refusing UPDATE, DELETE and TRUNCATE of campaigns_taskevent outside maintenance
(heli.core.history)."""

from django.db import migrations

from heli.core.history import append_only_triggers


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0002_seal_task_events"), ("core", "0005_append_only_trigger_function")]

    operations = [append_only_triggers("campaigns_taskevent")]
