from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlConfig(AppConfig):
    name = "heli.control"
    label = "control"
    verbose_name = _("Staff pages")

    def ready(self) -> None:
        # The lists register their exports with heli.core.exportjobs, so that `heli worker`
        # can write a large export of any list in the background.
        from heli.control import member_lists  # noqa: F401
