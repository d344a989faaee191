from django.urls import path

from heli.public import views

app_name = "public"

urlpatterns = [
    path("s/<str:token>/", views.station, name="station"),
]
