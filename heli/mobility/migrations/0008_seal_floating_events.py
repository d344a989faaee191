"""FloatingEvent rows sealed (heli.core.seal): the seal column, and the seals of the rows
already there."""

from django.db import migrations, models

from heli.core.seal import sealing_migration


class Migration(migrations.Migration):

    dependencies = [
        ('mobility', '0007_check_in_verification'),
    ]

    operations = [
        migrations.AddField(
            model_name='floatingevent',
            name='seal',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        sealing_migration("mobility", "FloatingEvent"),
    ]
