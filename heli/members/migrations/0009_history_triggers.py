"""Triggers refusing UPDATE, DELETE and TRUNCATE of members_memberchange outside maintenance
(heli.core.history)."""

from django.db import migrations

from heli.core.history import append_only_triggers


class Migration(migrations.Migration):
    dependencies = [("members", "0008_seal_member_changes"), ("core", "0005_append_only_trigger_function")]

    operations = [append_only_triggers("members_memberchange")]
