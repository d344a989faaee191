from django.urls import path

from heli.public import views

app_name = "public"

urlpatterns = [
    path("s/<str:token>/", views.station, name="station"),
    path("s/<str:token>/done/", views.station_done, name="station_done"),
]
