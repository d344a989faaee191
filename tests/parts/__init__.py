"""Feature areas' pieces of the shared test world and URL matrix, one module per area, so each
area's tests grow without editing the shared files."""

from __future__ import annotations

from tests.parts import campaigns, floating, letters, lists, notices, transfers

PARTS = (floating, campaigns, letters, transfers, lists, notices)
