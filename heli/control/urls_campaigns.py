"""Staff URLs of the campaigns pages (included by heli.control.urls)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
