"""heli's own URLs plus the baseline view of the check-in benchmark (bench server only)."""

from django.urls import path

from heli.bench.views import baseline
from heli.urls import urlpatterns as heli_urlpatterns

urlpatterns = [
    path("bench/baseline/<str:token>/", baseline, name="bench_baseline"),
    *heli_urlpatterns,
]
