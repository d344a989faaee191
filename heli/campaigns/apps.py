from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "heli.campaigns"
    label = "campaigns"
    verbose_name = _("Return-to-ranks campaigns")

    def ready(self) -> None:
        from heli.campaigns.models import Outcome
        from heli.mobility.models import describe_detail

        # A sweep task's outcome, written on the floating record's timeline, is ours to name.
        describe_detail("outcome", Outcome)
