"""The dlt source loads every sandbox record into raw_hubspot, once, with history."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from ingestion.hubspot.preflight import CrmUnavailable, check_crm
from ingestion.hubspot.source import (
    DEAL_HISTORY_PROPERTIES,
    INCREMENTAL,
    OBJECT_PROPERTIES,
    _cursor_value,
    hubspot_pipeline,
    hubspot_source,
    lift_deal_association,
    lift_primary_team,
    unpack_history,
)
from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import free_port


def test_unpack_history_makes_one_row_per_change():
    deal = {
        "id": "7",
        "propertiesWithHistory": {
            "dealstage": [
                {
                    "value": "closedwon",
                    "timestamp": "2025-02-01T00:00:00.000Z",
                    "sourceType": "CRM_UI",
                },
                {"value": "qualifiedtobuy", "timestamp": "2025-01-01T00:00:00.000Z"},
            ]
        },
    }
    out = unpack_history(deal)
    assert "propertiesWithHistory" not in out
    assert out["property_history"] == [
        {
            "deal_id": "7",
            "property_name": "dealstage",
            "value": "closedwon",
            "changed_at": "2025-02-01T00:00:00.000Z",
            "source_type": "CRM_UI",
        },
        {
            "deal_id": "7",
            "property_name": "dealstage",
            "value": "qualifiedtobuy",
            "changed_at": "2025-01-01T00:00:00.000Z",
            "source_type": None,
        },
    ]


def test_lift_deal_association_takes_lowest_id_and_tags_rows():
    call = {"id": "5", "associations": {"deals": {"results": [{"id": "12"}, {"id": "9"}]}}}
    out = lift_deal_association(call)
    assert out["associated_deal_id"] == "9"
    assert all(r["from_id"] == "5" for r in out["associations"]["deals"]["results"])
    assert lift_deal_association({"id": "6"})["associated_deal_id"] is None


def test_lift_primary_team():
    owner = {
        "id": "1",
        "teams": [
            {"id": "a", "name": "A", "primary": False},
            {"id": "b", "name": "B", "primary": True},
        ],
    }
    out = lift_primary_team(owner)
    assert (out["primary_team_id"], out["primary_team_name"]) == ("b", "B")
    assert all(t["owner_id"] == "1" for t in out["teams"])


def test_preflight_names_the_token_when_rejected(sandbox):
    with pytest.raises(CrmUnavailable, match="CRM_ACCESS_TOKEN"):
        check_crm(sandbox.base_url, "not-the-token")


def test_preflight_names_the_url_when_unreachable():
    with pytest.raises(CrmUnavailable, match="CRM_BASE_URL"):
        check_crm(f"http://127.0.0.1:{free_port()}", "x", timeout=2)


@pytest.fixture(scope="module")
def loaded(sandbox, tmp_path_factory):
    path = tmp_path_factory.mktemp("raw") / "raw.duckdb"
    pipeline = hubspot_pipeline(str(path), str(path.parent / ".dlt"))
    first = pipeline.run(
        hubspot_source(sandbox.base_url, sandbox.token, max_requests_per_10s=10_000),
        loader_file_format="parquet",
    )
    counts_after_first = _counts(path)
    second = pipeline.run(
        hubspot_source(sandbox.base_url, sandbox.token, max_requests_per_10s=10_000),
        loader_file_format="parquet",
    )
    return path, first, second, counts_after_first


def _counts(path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw_hubspot' "
            "and table_name not like '\\_dlt%' escape '\\'"
        ).fetchall()
        return {
            t: con.execute(f'select count(*) from raw_hubspot."{t}"').fetchone()[0]
            for (t,) in tables
        }
    finally:
        con.close()


def test_every_record_lands_once(loaded, org: Organisation):
    path, _, _, counts = loaded
    for object_type, records in org.objects.items():
        assert counts[object_type] == len(records), object_type
    assert counts["owners"] == len(org.reps)
    assert counts["owners__teams"] == len(org.reps)
    assert counts["deal_pipelines__stages"] == 7
    con = duckdb.connect(str(path), read_only=True)
    dup = con.execute("select count(*) - count(distinct id) from raw_hubspot.deals").fetchone()[0]
    con.close()
    assert dup == 0


def test_property_history_lands_in_its_own_table(loaded, org: Organisation):
    path, *_ = loaded
    expected = sum(
        len(changes)
        for deal in org.objects["deals"].values()
        for name, changes in deal.history.items()
        if name in DEAL_HISTORY_PROPERTIES
    )
    con = duckdb.connect(str(path), read_only=True)
    got = con.execute("select count(*) from raw_hubspot.deals__property_history").fetchone()[0]
    some = con.execute(
        "select deal_id, value from raw_hubspot.deals__property_history "
        "where property_name = 'dealstage' order by changed_at desc, deal_id limit 1"
    ).fetchone()
    con.close()
    assert got == expected
    assert org.objects["deals"][some[0]].history["dealstage"][-1][0] == some[1]


def test_loads_are_parquet_and_second_run_adds_nothing(loaded):
    path, first, second, counts_after_first = loaded
    formats = {
        job.job_file_info.file_format
        for package in first.load_packages
        for job in package.jobs["completed_jobs"]
        if not job.job_file_info.table_name.startswith("_dlt")
    }
    assert formats - {"sql"} == {"parquet"}  # "sql" jobs are the merge statements
    # `extractions` is a log: one row per run; every other table is unchanged.
    after_second = _counts(path)
    assert after_second.pop("extractions") == counts_after_first.pop("extractions") + 1
    assert after_second == counts_after_first


def test_a_bad_updated_at_never_moves_the_cursor():
    clock = datetime(2026, 10, 15, 12, tzinfo=UTC)
    assert _cursor_value({"updatedAt": "2026-10-15T11:00:00Z"}, clock) == "2026-10-15T11:00:00.000Z"
    for bad in ("2099-01-01T00:00:00.000Z", "garbage", None, 1760000000000):
        assert _cursor_value({"updatedAt": bad}, clock) == "1970-01-01T00:00:00.000Z"
    assert _cursor_value({}, clock) == "1970-01-01T00:00:00.000Z"


def test_every_crm_object_is_read_incrementally():
    """No object listing is re-read whole every night (goal targets were: ~50 requests of
    a 100-per-10-s allowance); only owners, pipelines and the archived listings are."""
    assert set(INCREMENTAL) == set(OBJECT_PROPERTIES)
    names = {r.name for r in hubspot_source("http://127.0.0.1:1", "t").resources.values()}
    assert "goal_targets" in names
