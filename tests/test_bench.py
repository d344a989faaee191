import io

import pytest
from django.core.management import call_command

from heli.orgs.models import Region


@pytest.mark.django_db
def test_the_tree_benchmark_prints_ratios_and_keeps_nothing():
    out = io.StringIO()
    call_command("bench", "tree", "--nodes", "400", "--runs", "1", stdout=out)
    text = out.getvalue()
    assert "ratio" in text and "count a town's subtree" in text
    assert "baseline" in text
    assert Region.unscoped.count() == 0
