"""heli bench world: a consistent zone through the fast insert paths, and the chain's bulk
append."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from heli.audit import chain
from heli.audit.models import AuditEntry
from heli.audit.services import Actor, record
from heli.bench import province
from heli.core.scoping import Scope, activate
from heli.members.models import Member
from heli.mobility.models import CheckIn, FloatingRecord


@pytest.mark.django_db
def test_the_world_command_refuses_a_database_whose_name_does_not_say_bench():
    with pytest.raises(CommandError, match="must contain 'bench'"):
        call_command("bench", "world", "--members", "200")


def test_a_built_zone_keeps_the_platforms_invariants_beside_an_existing_one(world):
    lines: list[str] = []
    with activate(Scope.everything()):
        members = Member.unscoped.count()
        built = province.build(2000, 500, lines.append)
        assert Member.unscoped.count() == members + 2000
        assert FloatingRecord.unscoped.filter(member__name__isnull=False).count() > 60
        assert CheckIn.unscoped.count() > 200
        assert built.counts["letters"] > 0 and built.counts["campaign tasks"] > 0
        assert province.check(lines.append) == []
        record(Actor.system(), "demo.build")  # the chain goes on after the bulk append
        assert chain.verify_chain()[1] is None


def test_entries_appended_in_bulk_link_to_the_chain_and_verify(db):
    with activate(Scope.everything()):
        first = record(Actor.system(), "demo.build")
        assert chain.append_many(AuditEntry(action="logout") for _ in range(30)) == 30
        entries = list(AuditEntry.unscoped.order_by("pk"))
        assert entries[1].prev_digest == first.digest
        assert chain.verify_chain() == (31, None)
