"""Bind every stored ciphertext to its row: values written before (version 1, no associated
data) are decrypted in the old format and encrypted anew with the table, column and primary
key as associated data (core.crypto, core.sealed), under the current key, in batches
(core.rotation). After this migration nothing reads the old format: crypto.decrypt_unbound
exists for it alone. Here rather than in members: it reaches three apps' tables.

Irreversible: the code before it cannot read bound values."""

from django.db import migrations

# The encrypted columns as they stand at this migration (core.sealed.FIELDS may grow later).
FIELDS = (
    ("members", "Member", "id_cipher"),
    ("members", "Member", "phone_cipher"),
    ("mobility", "PendingCheckIn", "identity_cipher"),
    ("mobility", "FloatingRecord", "contact_phone_cipher"),
    ("campaigns", "CampaignTask", "new_phone_cipher"),
)


def bind(blob: bytes, where: bytes) -> bytes | None:
    from heli.core import crypto

    try:
        text = crypto.decrypt_unbound(blob)
    except crypto.DecryptionError:
        crypto.decrypt(blob, where)  # bound already: left as it is (else DecryptionError)
        return None
    return crypto.encrypt(text, where)


def forwards(apps, schema_editor):
    from heli.core import rotation

    outcome = rotation.Outcome()
    for app, model, attname in FIELDS:
        rotation.rewrite_column(apps.get_model(app, model), attname, bind, outcome)
    for name, ids in outcome.unreadable.items():
        print(f"\n  {name}: {len(ids)} values do not decrypt and were left (ids {ids[:20]})")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_export_job"),
        ("members", "0006_import_setup_and_month_dates"),
        ("mobility", "0006_id_masks_last_two"),
        ("campaigns", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, elidable=False)]
