"""Triggers refusing UPDATE, DELETE and TRUNCATE of letters_letterevent outside maintenance
(heli.core.history)."""

from django.db import migrations

from heli.core.history import append_only_triggers


class Migration(migrations.Migration):
    dependencies = [("letters", "0004_seal_letter_events"), ("core", "0005_append_only_trigger_function")]

    operations = [append_only_triggers("letters_letterevent")]
