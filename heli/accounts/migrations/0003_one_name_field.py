"""One 姓名 per account: the whole name in last_name, first_name emptied."""

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Concat, Trim


def merge_names(apps, schema_editor) -> None:
    """Accounts saved through the old form had the name split (or the whole name in either
    field): family name first, as the old display did, with nothing lost."""
    User = apps.get_model("accounts", "User")
    User.objects.exclude(first_name="").update(
        last_name=Trim(Concat(F("last_name"), F("first_name"))), first_name=""
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_language")]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="last_name",
            field=models.CharField(blank=True, max_length=150, verbose_name="name"),
        ),
        migrations.RunPython(merge_names, migrations.RunPython.noop),
    ]
