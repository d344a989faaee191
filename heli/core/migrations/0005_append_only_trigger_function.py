"""PostgreSQL's function behind every history table's triggers (heli.core.history)."""

from django.db import migrations

from heli.core.history import append_only_function


class Migration(migrations.Migration):
    dependencies = [("core", "0004_bind_ciphertexts_to_rows")]

    operations = [append_only_function()]
