from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "heli.core"
    label = "core"

    def ready(self) -> None:
        from heli.core import lookups  # noqa: F401 (registers `__prefix` on CharField)
        from heli.core.history import register_sqlite_flag

        connection_created.connect(register_sqlite_flag, dispatch_uid="heli_history_flag")
