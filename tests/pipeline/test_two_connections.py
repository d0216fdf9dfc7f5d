"""Two HubSpot connections at once (two portals after an acquisition): two sandboxes with
different seeds, one nightly run, and every mart equals the union of both organisations'
ground truth; a CRM's ids (owners, teams, deals) collide across the two and stay apart."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import sandbox_process
from ingestion.sandbox.truth import Truth, person_month_of

from ..kpi_compare import PERFORMANCE_COLUMNS, compare_all, compare_company, mart_rows, mismatches
from ..nightly_process import run_with_connections
from .test_end_to_end import dbt_test

SEEDS = {"portal_az": 42, "portal_ge": 7}


def run_two_portals(
    folder: Path, *sandbox_args: str, days_later: dict[str, int] | None = None
) -> tuple[Path, subprocess.CompletedProcess]:
    """The nightly run against two sandboxes configured in a connections file; days_later:
    each portal's clock (a later night of a run already in `folder`)."""

    def args_of(name: str) -> tuple[str, ...]:
        later = (days_later or {}).get(name)
        return (*sandbox_args, *(("--days-later", str(later)) if later else ()))

    with (
        sandbox_process("small", SEEDS["portal_az"], extra_args=args_of("portal_az")) as az,
        sandbox_process("small", SEEDS["portal_ge"], extra_args=args_of("portal_ge")) as ge,
    ):
        return run_with_connections(
            folder,
            [
                f"  - {{name: portal_az, kind: hubspot, base_url: '{az.base_url}', token_env: AZ_TOKEN}}",
                f"  - {{name: portal_ge, kind: hubspot, base_url: '{ge.base_url}', token_env: GE_TOKEN}}",
            ],
            {"AZ_TOKEN": az.token, "GE_TOKEN": ge.token},
            next_night=days_later is not None,
        )


@pytest.fixture(scope="module")
def two_portals(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    return run_two_portals(tmp_path_factory.mktemp("two_portals"))


def test_one_run_loads_both_portals(two_portals):
    warehouse, done = two_portals
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "loaded raw_portal_az/deals" in done.stdout
    assert "loaded raw_portal_ge/deals" in done.stdout
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        by_source = dict(
            con.execute("select crm_source, count(*) from core.fct_deals group by 1").fetchall()
        )
        reps = con.execute(
            "select count(*), count(distinct owner_id), count(distinct rep_key) from core.dim_reps"
        ).fetchone()
        served = duckdb.connect(str(warehouse.with_name("serving.duckdb")), read_only=True)
        served_sources = served.execute(
            "select distinct crm_source from marts.mart_rep_performance_monthly order by 1"
        ).fetchall()
        served.close()
    finally:
        con.close()
    orgs = {name: Organisation("small", seed) for name, seed in SEEDS.items()}
    assert set(by_source) == set(SEEDS)
    assert by_source["portal_az"] > 0 and by_source["portal_ge"] > 0
    # Both portals number their owners alike: one row per connection x owner, keys apart.
    n_reps = sum(len(org.reps) for org in orgs.values())
    assert reps == (n_reps, len(orgs["portal_az"].reps), n_reps)
    assert served_sources == [("portal_az",), ("portal_ge",)]


@pytest.mark.parametrize("crm_source", sorted(SEEDS))
def test_each_portals_marts_equal_its_ground_truth(two_portals, crm_source):
    warehouse, done = two_portals
    assert done.returncode == 0, done.stderr[-2000:]
    truth = Truth(Organisation("small", SEEDS[crm_source]))
    problems = compare_all(str(warehouse), truth, crm_source=crm_source)
    assert {mart: p[:5] for mart, p in problems.items() if p} == {}


def test_the_company_mart_is_both_portals_together(two_portals):
    warehouse, done = two_portals
    assert done.returncode == 0, done.stderr[-2000:]
    truths = [Truth(Organisation("small", seed)) for seed in SEEDS.values()]
    assert compare_company(str(warehouse), truths) == []


SHARED = 2  # reps in both portals (same e-mail address, typed differently)


@pytest.fixture(scope="module")
def shared_reps(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    return run_two_portals(tmp_path_factory.mktemp("shared_reps"), "--shared-reps", str(SHARED))


def test_a_rep_in_both_portals_is_one_person(shared_reps):
    warehouse, done = shared_reps
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    orgs = {name: Organisation("small", seed) for name, seed in SEEDS.items()}
    az, ge = (Truth(orgs[name]) for name in sorted(SEEDS))
    # Owner ids are numbered alike in both generated portals: the shared reps are the first two.
    shared = [rep.owner_id for rep in orgs["portal_az"].reps[:SHARED]]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        people = con.execute(
            "select owner_id, crm_source, identity_count, crm_sources from core.dim_reps "
            "where identity_count > 1 order by owner_id"
        ).fetchall()
        n_people = con.execute("select count(*) from core.dim_reps").fetchone()[0]
        cols = ", ".join(PERFORMANCE_COLUMNS)
        merged_rows = mart_rows(
            con,
            f"select month_start, {cols} from marts.mart_rep_performance_monthly "
            f"where owner_id = '{shared[0]}' and crm_source = 'portal_az'",
            1,
        )
        others = {
            name: mart_rows(
                con,
                f"select owner_id, month_start, {cols} from marts.mart_rep_performance_monthly "
                f"where crm_source = '{name}' and owner_id not in ({', '.join(map(repr, shared))})",
                2,
            )
            for name in SEEDS
        }
    finally:
        con.close()
    assert n_people == sum(len(o.reps) for o in orgs.values()) - SHARED
    assert people == [(o, "portal_az", 2, "portal_az, portal_ge") for o in shared]
    person = person_month_of([(az, shared[0]), (ge, shared[0])])
    assert (
        mismatches(
            {(m,): row for (m,), row in merged_rows.items()},
            {(m,): row for m, row in person.items()},
            PERFORMANCE_COLUMNS,
        )
        == []
    )
    for name, truth in (("portal_az", az), ("portal_ge", ge)):
        expected = {k: v for k, v in truth.rep_month().items() if k[0] not in shared}
        assert mismatches(others[name], expected, PERFORMANCE_COLUMNS) == [], name
    # One organisation either way: the company mart does not depend on who is whom.
    assert compare_company(str(warehouse), [az, ge]) == []


def test_merging_reps_by_email_can_be_switched_off(shared_reps, tmp_path):
    warehouse, done = shared_reps
    assert done.returncode == 0, done.stderr[-2000:]
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(warehouse, copy)
    dbt_vars = {
        "merge_reps_by_email": False,
        "crm_connections": [{"name": name, "kind": "hubspot"} for name in SEEDS],
    }
    built = dbt_test(
        copy, tmp_path / "target", "--exclude-resource-type", "unit_test",
        "--vars", json.dumps(dbt_vars), command="build",
    )  # fmt: skip
    assert built.returncode == 0, built.stdout[-3000:]
    con = duckdb.connect(str(copy), read_only=True)
    n_reps = con.execute("select count(*) from core.dim_reps").fetchone()[0]
    con.close()
    assert n_reps == sum(len(Organisation("small", s).reps) for s in SEEDS.values())
    for name, seed in SEEDS.items():
        problems = compare_all(str(copy), Truth(Organisation("small", seed)), crm_source=name)
        assert {mart: p[:5] for mart, p in problems.items() if p} == {}, name


def test_a_portal_loaded_behind_the_other_gets_every_change(tmp_path):
    """Night 2 loads portal_az 14 days on while portal_ge's clock has not moved (its
    changes stayed behind); night 3 finds portal_ge 4 days on. The incremental models
    restate each portal's changes from its own newest change, so portal_ge's changes,
    older than portal_az's newest, reach the marts too."""
    nights = [{}, {"portal_az": 14}, {"portal_az": 14, "portal_ge": 4}]  # one month
    for n, days_later in enumerate(nights):
        warehouse, done = run_two_portals(tmp_path, days_later=days_later if n else None)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    clock = max(Organisation("small", SEEDS[n], days_later=d).now for n, d in nights[-1].items())
    for name, days in nights[-1].items():
        truth = Truth(Organisation("small", SEEDS[name], days_later=days), clock=clock)
        problems = compare_all(str(warehouse), truth, crm_source=name)
        assert {mart: p[:3] for mart, p in problems.items() if p} == {}, name
