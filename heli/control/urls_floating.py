"""Staff URLs of the floating pages (included by heli.control.urls)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
