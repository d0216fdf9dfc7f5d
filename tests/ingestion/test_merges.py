"""Merged records reach the marts correctly.

Night 1 loads a plain CRM; before night 2, duplicates are merged in HubSpot
(`--merge-share`): each merged-away deal or contact leaves every listing, its survivor
lists it in `hs_merged_object_ids` and is modified, and the merged-away deal's activities
and feedback move to the survivor without being modified themselves (an incremental
extraction never re-reads them). Night 2 must drop the merged-away records from the facts
and re-point their activities and feedback, so the marts equal the ground truth of the
CRM after the merges.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import httpx

from ingestion.sandbox.drift import merge_records
from ingestion.sandbox.generator import ACTIVITY_TYPES, Organisation
from ingestion.sandbox.runner import sandbox_process
from ingestion.sandbox.truth import Truth
from orchestration.lib.runs import first_failure, run_nightly_job

from ..conftest import SEED, point_pipeline_at
from ..kpi_compare import compare_all

MERGE_SHARE = 0.02
SINGULAR = {"calls": "call", "emails": "email", "meetings": "meeting", "tasks": "task"}


def test_merged_records_leave_the_marts_and_their_activities_follow(tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse.duckdb"

    plain = Organisation("small", SEED)
    org = Organisation("small", SEED)
    merged = merge_records(org, SEED, MERGE_SHARE)
    deal_into, contact_into = dict(merged["deals"]), dict(merged["contacts"])
    assert len(deal_into) > 20 and len(contact_into) > 20

    for extra in ((), ("--merge-share", str(MERGE_SHARE))):
        with sandbox_process("small", SEED, extra_args=extra) as sb:
            point_pipeline_at(monkeypatch, sb, tmp_path)
            result = run_nightly_job(dg.DagsterInstance.ephemeral())
            if extra:
                # As in HubSpot, reading a merged-away id answers with the survivor.
                loser, winner = next(iter(deal_into.items()))
                answer = httpx.get(
                    f"{sb.base_url}/crm/v3/objects/deals/{loser}",
                    headers={"Authorization": f"Bearer {sb.token}"},
                )
                assert answer.json()["id"] == winner
        assert result.success, first_failure(result)

    # Activities and feedback of merged-away deals, as night 1 loaded them.
    moved_activities = {
        (SINGULAR[t], aid): deal_into[rec.associations["deals"][0]]
        for t in ACTIVITY_TYPES
        for aid, rec in plain.objects[t].items()
        if rec.associations.get("deals", [None])[0] in deal_into
    }
    moved_feedback = {
        fid: deal_into[rec.associations["deals"][0]]
        for fid, rec in plain.objects["feedback_submissions"].items()
        if rec.associations.get("deals", [None])[0] in deal_into
    }
    assert len(moved_activities) > 50 and moved_feedback

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        # Raw: the survivor with the merged-away ids; the merged-away deal's row from
        # night 1 is still there, and so are its activities' links to it.
        merged_ids = dict(
            con.execute(
                "select id, properties__hs_merged_object_ids from raw_hubspot.deals "
                "where properties__hs_merged_object_ids is not null"
            ).fetchall()
        )
        for loser, winner in deal_into.items():
            assert loser in merged_ids[winner].split(";"), (loser, winner)
        raw_deals = {r[0] for r in con.execute("select id from raw_hubspot.deals").fetchall()}
        assert set(deal_into) <= raw_deals
        raw_links = dict(
            con.execute("select id, associated_deal_id from raw_hubspot.meetings").fetchall()
        )
        assert any(
            raw_links.get(aid) in deal_into for kind, aid in moved_activities if kind == "meeting"
        )

        # Facts: merged-away deals and contacts are gone, their activities and feedback
        # belong to the survivor.
        deals = {r[0] for r in con.execute("select deal_id from core.fct_deals").fetchall()}
        assert not deals & set(deal_into)
        assert len(deals) == len(plain.objects["deals"]) - len(deal_into)
        contacts = {r[0] for r in con.execute("select contact_id from core.fct_leads").fetchall()}
        assert not contacts & set(contact_into)
        assert len(contacts) == len(plain.objects["contacts"]) - len(contact_into)
        activities = {
            (t, aid): deal
            for t, aid, deal in con.execute(
                "select activity_type, activity_id, deal_id from core.fct_activities"
            ).fetchall()
        }
        assert {k: activities[k] for k in moved_activities} == moved_activities
        assert not set(activities.values()) & set(deal_into)
        feedback = dict(
            con.execute("select feedback_submission_id, deal_id from core.fct_feedback").fetchall()
        )
        assert {k: feedback[k] for k in moved_feedback} == moved_feedback
        quarantined = con.execute("select count(*) from quarantine.quarantined_records").fetchone()
    finally:
        con.close()
    assert quarantined == (0,)

    # Every mart equals the ground truth of the CRM after the merges.
    problems = compare_all(str(warehouse), Truth(org))
    assert all(not p for p in problems.values()), {k: p[:5] for k, p in problems.items() if p}
