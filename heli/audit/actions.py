"""Names of audited actions and their labels."""

from django.utils.translation import gettext_lazy as _

LABELS = {
    "login": _("Logged in"),
    "login.failed": _("Failed login"),
    "logout": _("Logged out"),
    "account.create": _("Created account"),
    "account.update": _("Changed account"),
    "region.create": _("Created region"),
    "region.update": _("Changed region"),
    "region.move": _("Moved region"),
    "org.create": _("Created party organization"),
    "org.update": _("Changed party organization"),
    "org.move": _("Moved party organization"),
    "station.create": _("Created station"),
    "station.update": _("Changed station"),
    "demo.build": _("Built demo zone"),
    "checkin.create": _("Checked in at a station"),
    "floating.register": _("Registered a floating member"),
    "floating.return": _("Registered a floating member's return"),
    "checkin.pending": _("Unknown person checked in (pending)"),
    "checkin.confirm": _("Confirmed a pending check-in"),
    "checkin.reject": _("Rejected a pending check-in"),
    "checkin.reveal": _("Opened a pending check-in's number in full"),
    "member.import": _("Imported members"),
}


def label(action: str) -> str:
    return str(LABELS.get(action, action))
