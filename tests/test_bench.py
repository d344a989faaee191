import io
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from heli.accounts.models import User
from heli.members.import_models import ImportJob
from heli.members.imports import bench as import_bench
from heli.members.imports.bench import ImportTiming
from heli.members.models import Member
from heli.orgs.models import Region


@pytest.mark.django_db
def test_the_tree_benchmark_prints_ratios_and_keeps_nothing():
    out = io.StringIO()
    call_command("bench", "tree", "--nodes", "400", "--runs", "1", stdout=out)
    text = out.getvalue()
    assert "ratio" in text and "count a town's subtree" in text
    assert "baseline" in text
    assert Region.unscoped.count() == 0


def test_the_tree_benchmark_works_on_a_database_that_already_holds_a_zone(world):
    regions = Region.unscoped.count()
    out = io.StringIO()
    call_command("bench", "tree", "--nodes", "400", "--runs", "1", stdout=out)
    text = out.getvalue()
    assert f"built {400:,} regions" in text or "built 4" in text
    assert "count a town's subtree (" in text
    assert Region.unscoped.count() == regions


@pytest.mark.django_db
def test_the_import_benchmark_runs_each_size_end_to_end_against_the_floor_and_keeps_nothing(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("HELI_IMPORT_DIR", str(tmp_path))
    users = User.objects.count()
    out = io.StringIO()
    call_command("bench", "import", "--rows", "40", "70", "--runs", "2", stdout=out)
    text = out.getvalue()
    assert "wrote 40 rows" in text and "wrote 70 rows" in text
    assert text.count("  run 1: end to end") == 2 and text.count("  run 2: end to end") == 2
    header = next(line for line in text.splitlines() if "40 rows" in line and "70 rows" in line)
    assert header.index("40 rows") < header.index("70 rows")
    for label in ("end to end (upload + check + save)", "upload", "check", "save",
                  "of which the write transaction", "floor (calamine parse + raw insert)",
                  "ratio (floor / end to end)", "target: ratio at least 0.50"):  # fmt: skip
        assert label in text, label
    ratios = next(line for line in text.splitlines() if line.startswith("ratio"))
    assert all(float(r) > 0 for r in ratios.split()[-2:])
    assert (Member.unscoped.count(), ImportJob.unscoped.count(), User.objects.count()) == (
        0, 0, users
    )  # fmt: skip
    assert Region.unscoped.count() == 0
    assert os.environ["HELI_IMPORT_DIR"] == str(tmp_path)  # its own folder only while it ran


def test_the_import_benchmark_reports_the_median_of_each_phase():
    def run(seconds: float) -> ImportTiming:
        return ImportTiming(10, "sqlite", seconds, seconds, seconds, seconds, seconds, seconds)

    median = import_bench._median([run(1.0), run(9.0), run(2.0)])
    assert (median.check, median.insert, median.rows) == (2.0, 2.0, 10)


@pytest.mark.django_db
def test_the_import_benchmark_profiles_on_request():
    out = io.StringIO()
    call_command("bench", "import", "--rows", "20", "--runs", "1", "--profile", stdout=out)
    assert "Ordered by: cumulative time" in out.getvalue()
    assert "jobs.py" in out.getvalue() and "pipeline.py" in out.getvalue()


@pytest.mark.django_db
def test_the_import_benchmark_refuses_an_empty_file_size():
    with pytest.raises(CommandError):
        call_command("bench", "import", "--rows", "0", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("bench", "import", "--rows", "10", "--runs", "0", stdout=io.StringIO())
