"""Triggers refusing UPDATE, DELETE and TRUNCATE of mobility_floatingevent outside maintenance
(heli.core.history)."""

from django.db import migrations

from heli.core.history import append_only_triggers


class Migration(migrations.Migration):
    dependencies = [("mobility", "0008_seal_floating_events"), ("core", "0005_append_only_trigger_function")]

    operations = [append_only_triggers("mobility_floatingevent")]
