"""What every staff form shares: an empty choice reads 请选择, never Django's "---------"."""

from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse

from heli.control.forms import StyledForm
from heli.orgs.models import PartyOrg

pytestmark = pytest.mark.django_db


def _pages(w) -> list[str]:
    return [
        reverse("control:member_create"),
        reverse("control:member_edit", args=[w.member_a.pk]),
        reverse("control:floating_create", args=[w.member_a.pk]),
        reverse("control:floating_duties", args=[w.outflow_record_a.pk]),
        reverse("control:campaign_create"),
        reverse("control:station_create"),
        reverse("control:org_create", kwargs={"parent_pk": w.village_a_org.pk}),
        reverse("control:region_create", kwargs={"parent_pk": w.village_a.pk}),
        reverse("control:transfer_create", args=[w.member_a.pk]),
        reverse("control:transfer_incoming_create"),
        reverse("control:floating_temporary_branch"),
        reverse("control:pending_confirm", args=[w.pending_a.pk]),
    ]


def test_no_staff_form_offers_dashes_as_its_empty_choice(world, client):
    client.force_login(world.users["district_admin"])
    offered = 0
    for url in _pages(world):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "---------" not in html, url
        offered += html.count('<option value="" selected>请选择</option>')
    client.force_login(world.users["system_admin"])  # accounts are the system admin's (三权分立)
    account = client.get(reverse("control:account_create"))
    assert account.status_code == 200 and "---------" not in account.content.decode()
    assert offered >= 5


def test_the_empty_choice_is_set_once_for_every_styled_form(world, everything):
    class Example(StyledForm, forms.Form):
        org = forms.ModelChoiceField(PartyOrg.objects.all(), required=False)
        kind = forms.ChoiceField(choices=[("", "---------"), ("a", "A")], required=False)
        custom = forms.ChoiceField(choices=[("", "All kinds"), ("a", "A")], required=False)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.style()

    html = str(Example())
    assert "---------" not in html and html.count("请选择") == 2
    assert "All kinds" in html  # an empty choice with its own words keeps them
