"""Ids in URLs beyond what the database can store are a 404, never an overflow."""

import pytest


@pytest.mark.parametrize("expedition_id", [2**31 - 1, 2**31, 2**63, 2**80])
def test_huge_ids_are_not_found(actor, expedition_id):
    response = actor().get(f"/expeditions/{expedition_id}")
    assert response.status_code == 404
