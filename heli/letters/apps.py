from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    name = "heli.letters"
    label = "letters"
    verbose_name = _("Reminder letters")

    def ready(self) -> None:
        from heli.mobility import signals

        # batches registers the work of its background jobs with heli.core.exportjobs
        from . import batches, receivers  # noqa: F401

        signals.member_checked_in.connect(
            receivers.on_member_checked_in, dispatch_uid="letters.close_on_check_in"
        )
        signals.inflow_confirmed.connect(
            receivers.on_inflow_confirmed, dispatch_uid="letters.close_on_inflow_confirmed"
        )
        signals.floating_returned.connect(
            receivers.on_floating_returned, dispatch_uid="letters.close_on_return"
        )
