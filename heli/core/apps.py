from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "heli.core"
    label = "core"
