"""heli's production settings plus the baseline URL: used only by the server that
`heli bench checkin` starts (DJANGO_SETTINGS_MODULE=heli.bench.settings), so that the baseline
view never exists in a real deployment."""

from heli.settings import *  # noqa: F403

ROOT_URLCONF = "heli.bench.urls"
