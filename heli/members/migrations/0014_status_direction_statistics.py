"""PostgreSQL: statistics of the member's status and floating direction together. A direction
is set only on floating members, so the planner's product of the two (as if independent) took
25,000 floating members going out for 900, and read a district's floating ledger by the
(status, direction) index, all 34,000 then sorted (135 ms at a million members), where the
partial name index of the floating members reads the page's 50 in order."""

from django.db import migrations

NAME = "member_status_direction"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {NAME} (dependencies, mcv) "
            "ON status, floating_direction FROM members_member"
        )
        schema_editor.execute("ANALYZE members_member")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0013_floating_name_index"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
