"""URL-matrix rows and world objects of the campaigns pages.

`NAMES` lists the URL names; `rows()` builds their matrix rows (called by test_url_matrix once
Route and Target exist); `add_to_world(w)` adds the objects the rows point at to the world.
"""

from __future__ import annotations

NAMES: tuple[str, ...] = ()


def rows() -> dict:
    return {}


def add_to_world(w) -> None:
    return None
