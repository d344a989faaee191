import pytest
from django.db import connection, transaction
from django.urls import reverse

from heli.audit.models import AppendOnlyError, AuditEntry
from heli.audit.services import Actor, record
from heli.core.scoping import activate


@pytest.fixture
def entry(world):
    return record(
        Actor(user=world.users["town_admin"], ip_address="10.1.2.3"),
        "org.update",
        world.branch_a,
        detail={"name": ["旧", "新"]},
    )


@pytest.mark.django_db
def test_an_entry_records_who_what_when_where_and_the_outcome(entry, world):
    assert entry.username == "town_a"
    assert entry.object_type == "orgs.partyorg" and entry.object_id == str(world.branch_a.pk)
    assert entry.ip_address == "10.1.2.3"
    assert entry.success and entry.at is not None
    assert entry.org_path == world.town_a_org.path


@pytest.mark.django_db
def test_entries_cannot_be_changed_or_deleted_through_the_model(entry):
    entry.action = "tampered"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.unscoped.all().update(action="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEntry.unscoped.all().delete()


@pytest.mark.django_db
def test_the_database_refuses_raw_updates_of_entries(entry):
    with pytest.raises(Exception) as error, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET action = 'tampered' WHERE id = %s", [entry.pk])
    assert "append-only" in str(error.value)
    assert AuditEntry.unscoped.get(pk=entry.pk).action == "org.update"


@pytest.mark.django_db
def test_the_audit_page_is_for_district_admins_and_auditors(world, client, entry):
    for role, status in [
        ("auditor", 200),
        ("district_admin", 200),
        ("town_admin", 403),
        ("grid_worker", 403),
    ]:
        client.force_login(world.users[role])
        assert client.get(reverse("control:audit_log")).status_code == status, role


@pytest.mark.django_db
def test_the_audit_page_filters_by_action_user_outcome_and_date(world, client, entry):
    record(Actor.system(), "login.failed", success=False, username="nobody")
    client.force_login(world.users["auditor"])
    url = reverse("control:audit_log")
    assert client.get(url, {"action": "org.update"}).context["page"].paginator.count == 1
    by_town_a = client.get(url, {"user": "town_a"}).context["page"].object_list
    assert {e.username for e in by_town_a} == {"town_a"} and entry in by_town_a
    failed = client.get(url, {"success": "0"}).context["page"].object_list
    assert [e.username for e in failed] == ["nobody"]
    assert (
        client.get(url, {"from": "2000-01-01", "to": "2000-01-02"}).context["page"].paginator.count
        == 0
    )
    assert client.get(url, {"from": "not-a-date"}).status_code == 200


@pytest.mark.django_db
def test_entries_are_scoped_to_the_actors_organization(world, entry):
    with activate(world.users["outsider"].scope()):
        assert not AuditEntry.objects.filter(pk=entry.pk).exists()
    with activate(world.users["auditor"].scope()):
        assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_zone_wide_entries_are_seen_from_the_top_organization_only(world):
    system = record(Actor.system(), "demo.build")
    with activate(world.users["auditor"].scope()):
        assert AuditEntry.objects.filter(pk=system.pk).exists()
    with activate(world.users["town_admin"].scope()):
        assert not AuditEntry.objects.filter(pk=system.pk).exists()
