"""FloatingEvent rows sealed (heli.core.seal): the seal column, and the seals of the rows
already there."""

from django.db import migrations, models

from heli.core.seal import seal_existing


def seal_rows(apps, schema_editor):
    seal_existing(apps.get_model("mobility", "FloatingEvent"), schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('mobility', '0006_id_masks_last_two'),
    ]

    operations = [
        migrations.AddField(
            model_name='floatingevent',
            name='seal',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(seal_rows, migrations.RunPython.noop),
    ]
