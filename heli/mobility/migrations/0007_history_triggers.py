"""Triggers refusing UPDATE, DELETE and TRUNCATE of mobility_floatingevent outside maintenance
(heli.core.history)."""

from django.db import migrations

from heli.core.history import append_only_triggers


class Migration(migrations.Migration):
    dependencies = [("mobility", "0006_id_masks_last_two"), ("core", "0004_append_only_trigger_function")]

    operations = [append_only_triggers("mobility_floatingevent")]
