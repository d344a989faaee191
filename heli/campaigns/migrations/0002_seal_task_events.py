"""TaskEvent rows sealed (heli.core.seal): the seal column, and the seals of the rows
already there; the time a default (the demo dates its events when it inserts them)."""

import django.utils.timezone
from django.db import migrations, models

from heli.core.seal import sealing_migration


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='taskevent',
            name='seal',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name='taskevent',
            name='at',
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        sealing_migration("campaigns", "TaskEvent"),
    ]
