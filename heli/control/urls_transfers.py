"""Staff URLs of the transfers pages (included by heli.control.urls)."""

from django.urls import path

from heli.control.views import transfers

urlpatterns: list = [
    path("transfers/", transfers.transfer_list, name="transfer_list"),
    path(
        "transfers/destinations/",
        transfers.transfer_destinations,
        name="transfer_destinations",
    ),
    path(
        "transfers/incoming/new/",
        transfers.transfer_incoming_create,
        name="transfer_incoming_create",
    ),
    path("members/<int:pk>/transfer/", transfers.transfer_create, name="transfer_create"),
    path("transfers/<int:pk>/", transfers.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/letter/", transfers.transfer_letter, name="transfer_letter"),
    *(
        path(f"transfers/<int:pk>/{action}/", getattr(transfers, f"transfer_{action}"),
             name=f"transfer_{action}")
        for action in ("approve", "reject", "cancel", "issue", "accept", "return", "note")
    ),
]  # fmt: skip
