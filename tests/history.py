"""Rows in every append-only history table, for the tests that tamper with them."""

from __future__ import annotations

from types import SimpleNamespace

from heli.audit.services import Actor
from heli.campaigns.services import reassign
from heli.members.services import restore_member
from heli.mobility.floating import add_event


def add_history(world: SimpleNamespace) -> SimpleNamespace:
    """The world records no floating event, task event or member change itself: add one each
    (audit entries, letter events and transfer steps it has)."""
    add_event(Actor.system(), world.outflow_record_a, "contact", note="tests.history")
    reassign(Actor(user=world.users["town_admin"]), world.task_a, world.users["grid_worker"])
    restore_member(Actor(user=world.users["district_admin"]), world.deleted_a)
    return world
