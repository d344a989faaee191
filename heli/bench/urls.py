"""heli's own URLs plus the baselines of the check-in and page benchmarks (bench only)."""

from django.urls import path

from heli.bench.views import baseline, baseline_page
from heli.urls import urlpatterns as heli_urlpatterns

urlpatterns = [
    path("bench/baseline/<str:token>/", baseline, name="bench_baseline"),
    path("bench/page/<int:pk>/", baseline_page, name="bench_page"),
    *heli_urlpatterns,
]
