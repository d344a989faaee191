"""The audit log's filters by action and by account read newest first from an index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0004_history_triggers"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["action", "at", "id"], name="audit_action_at_id"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["username", "at", "id"], name="audit_username_at_id"),
        ),
    ]
