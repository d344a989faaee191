"""LetterEvent rows sealed (heli.core.seal): the seal column, and the seals of the rows
already there."""

from django.db import migrations, models

from heli.core.seal import seal_existing


def seal_rows(apps, schema_editor):
    seal_existing(apps.get_model("letters", "LetterEvent"), schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('letters', '0003_alter_reminderletter_number'),
    ]

    operations = [
        migrations.AddField(
            model_name='letterevent',
            name='seal',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.RunPython(seal_rows, migrations.RunPython.noop),
    ]
