"""The member registry in the browser: masked by default, revealed only on request and audited."""

from __future__ import annotations

import pytest

from heli.core.scoping import Scope, activate
from heli.core.sealed import unseal
from heli.members.models import Member
from tests.browser.helpers import login


@pytest.mark.browser
def test_a_branch_secretary_reveals_a_members_id_number_and_the_auditor_sees_it(zone, context):
    with activate(Scope.everything()):
        member = Member.objects.filter(org__name="东方社区第1网格党支部").order_by("pk").first()
        full_id = unseal(member, "id_cipher")
    page = context.new_page()
    login(page, "secretary")
    page.goto("/members/")
    row = page.get_by_role("link", name=member.name, exact=True).first
    row.click()
    assert page.get_by_test_id("id-number").inner_text() == member.id_mask
    assert full_id not in page.content()
    page.get_by_test_id("reveal").click()
    assert page.get_by_test_id("id-number").inner_text() == full_id

    auditor = context.browser.new_context(base_url=page.url.split("/members")[0], locale="zh-CN")
    audit_page = auditor.new_page()
    login(audit_page, "auditor")
    audit_page.goto("/audit/?action=member.reveal")
    table = audit_page.get_by_test_id("audit-table").inner_text()
    assert member.name in table and "secretary" in table
    auditor.close()


@pytest.mark.browser
def test_a_grid_worker_sees_masked_numbers_and_no_reveal_button(zone, context):
    page = context.new_page()
    login(page, "grid")
    page.goto("/members/")
    masks = page.get_by_test_id("id-mask").all_inner_texts()
    assert masks and all("**********" in mask for mask in masks)
    page.get_by_test_id("member-table").get_by_role("link").first.click()
    assert page.get_by_test_id("reveal").count() == 0
