"""MemberChange rows sealed (heli.core.seal): the seal column, and the seals of the rows
already there."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from heli.core.seal import sealing_migration


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0007_member_anonymized_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='memberchange',
            name='seal',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='memberchange',
            name='user',
            field=models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        sealing_migration("members", "MemberChange"),
    ]
