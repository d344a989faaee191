"""Ids taken before their rows are written (core.ids), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from heli.core.ids import IdPool, allocate_ids
from heli.orgs.models import Region
from tests.factories import RegionFactory


@pytest.mark.django_db
def test_ids_are_fresh_ascending_and_never_given_to_a_later_insert():
    existing = RegionFactory(name="常州经开区")
    taken = allocate_ids(Region, 5)
    assert taken == sorted(taken) and len(set(taken)) == 5 and min(taken) > existing.pk
    later = RegionFactory(name="横林镇", parent=existing)  # the database picks its id
    assert later.pk > max(taken)
    assert allocate_ids(Region, 0) == []


@pytest.mark.django_db
def test_a_row_inserted_with_a_taken_id_leaves_the_next_ids_above_it():
    district = RegionFactory(name="常州经开区")
    (pk,) = allocate_ids(Region, 1)
    RegionFactory(pk=pk, name="横林镇", parent=district)
    assert allocate_ids(Region, 1)[0] > pk
    assert RegionFactory(name="遥观镇", parent=district).pk > pk


@pytest.mark.django_db
def test_a_pool_takes_blocks_and_a_fixed_pool_only_its_own():
    pool = IdPool(Region, block=3)
    taken = [pool.take() for _ in range(7)]
    assert len(set(taken)) == 7 and taken == sorted(taken)
    fixed = IdPool(Region, ids=[10, 11, 12, 13])
    rest = fixed.split(1)
    assert [fixed.take()] == [10] and [rest.take(), rest.take(), rest.take()] == [11, 12, 13]
    with pytest.raises(RuntimeError):
        rest.take()


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_share_an_id():
    start = threading.Barrier(4)

    def allocate(_worker: int) -> list[int]:
        try:
            start.wait()
            return [pk for _ in range(10) for pk in allocate_ids(Region, 25)]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        every = [pk for block in pool.map(allocate, range(4)) for pk in block]
    assert len(every) == 4 * 10 * 25 == len(set(every))
