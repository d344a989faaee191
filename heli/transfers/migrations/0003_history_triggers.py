"""Triggers refusing UPDATE, DELETE and TRUNCATE of transfers_transferstep outside maintenance
(heli.core.history)."""

from django.db import migrations

from heli.core.history import append_only_triggers


class Migration(migrations.Migration):
    dependencies = [("transfers", "0002_seal_transfer_steps"), ("core", "0005_append_only_trigger_function")]

    operations = [append_only_triggers("transfers_transferstep")]
