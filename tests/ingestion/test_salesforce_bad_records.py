"""Bad records of a Salesforce org (ingestion/sandbox/salesforce/bad_records.py): each lands
in quarantine with its reason and leaves the marts equal to the ground truth; unusual but
valid records reach the warehouse unchanged; a mass corruption blocks the publish."""

from __future__ import annotations

import duckdb
import pytest

from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.salesforce.bad_records import KINDS, NAME, SHORTCUTS, inject
from ingestion.sandbox.salesforce.objects import render
from ingestion.sandbox.salesforce.truth import SalesforceTruth

from ..kpi_compare import compare_all
from ..salesforce_runs import SF_ARGS, SF_SEED, nightly_run

SERVED = (*SHORTCUTS["all-quarantine"], *SHORTCUTS["all-accepted"])


@pytest.fixture(scope="module")
def bad_night(tmp_path_factory):
    args = (*SF_ARGS, "--bad-records", ",".join(SERVED))
    return nightly_run(tmp_path_factory.mktemp("bad"), hubspot=False, sf_args=args)


def _added() -> dict[str, list[str]]:
    """The ids the sandbox added per kind (the same seed picks the same records)."""
    kinds = [k for k in KINDS if k.name in SERVED]
    return inject(render(Organisation("small", SF_SEED, keep_log=False)), kinds, SF_SEED)


def test_each_bad_record_is_quarantined_with_its_reason(bad_night):
    warehouse, done = bad_night
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        quarantined = dict(
            con.execute("select loaded_id, reason from quarantine.quarantined_records").fetchall()
        )
    finally:
        con.close()
    added = _added()
    expected = {
        added[k.name][0]: k.expected.split(":", 1)[1]
        for k in KINDS
        if k.name in SERVED and k.expected.startswith("quarantine:")
    }
    assert quarantined == expected


def test_the_marts_still_equal_the_ground_truth(bad_night):
    warehouse, done = bad_night
    assert done.returncode == 0, done.stderr[-2000:]
    problems = compare_all(str(warehouse), SalesforceTruth(Organisation("small", SF_SEED)))
    assert {mart: p[:3] for mart, p in problems.items() if p} == {}


def test_unusual_records_are_accepted_unchanged(bad_night):
    warehouse, done = bad_night
    assert done.returncode == 0, done.stderr[-2000:]
    added = _added()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        [name] = con.execute(
            "select company_name from intermediate.int_crm__companies where company_id = ?",
            [added["account_name_many_scripts"][0]],
        ).fetchone()
        [owner] = con.execute(
            "select owner_id from core.fct_leads where contact_id = ?",
            [added["lead_owned_by_queue"][0]],
        ).fetchone()
    finally:
        con.close()
    assert name == NAME
    assert owner is None  # a queue is no rep


def test_a_mass_corruption_blocks_the_publish(tmp_path):
    args = (*SF_ARGS, "--bad-records", "mass_corruption")
    warehouse, done = nightly_run(tmp_path, hubspot=False, sf_args=args)
    assert done.returncode != 0
    assert "quarantine_share_within_threshold" in done.stdout + done.stderr
    assert not warehouse.with_name("serving.duckdb").exists()
