"""ID masks keep the last two characters only (crypto.mask_id): the stored masks of members and
of pending check-ins are made anew from themselves, without decrypting a number (a pending
check-in's phone mask, 11 characters long, keeps its shape). Here rather than in members: it
reaches both apps' tables."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Length, Right

LENGTHS = (15, 18)  # the two lengths of ID numbers (GB 11643 and the old 15-digit ones)


def remask(model, field: str) -> None:
    for length in LENGTHS:
        model._base_manager.exclude(**{f"{field}__startswith": "*"}).annotate(
            length_of_mask=Length(field)
        ).filter(length_of_mask=length).update(
            **{field: Concat(Value("*" * (length - 2)), Right(field, 2))}
        )


def forwards(apps, schema_editor):
    remask(apps.get_model("members", "Member"), "id_mask")
    remask(apps.get_model("mobility", "PendingCheckIn"), "identity_mask")


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0006_import_setup_and_month_dates"),
        ("mobility", "0005_alter_floatingevent_at"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
