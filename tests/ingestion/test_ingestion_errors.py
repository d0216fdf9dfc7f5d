"""The raw step under a bad night: faults the connector retries leave raw as a fault-free
load would; failures a retry cannot fix stop the step at once with one line."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import httpx
import pytest
from dagster_dlt import DagsterDltResource

from ingestion.http import CrmUnavailable, CrmUnreachable, crm_session
from ingestion.hubspot.preflight import check_crm
from ingestion.hubspot.source import discover_custom_properties, hubspot_pipeline, hubspot_source
from ingestion.sandbox.drift import add_custom_properties
from ingestion.sandbox.generator import Organisation
from ingestion.sandbox.runner import free_port, sandbox_process
from orchestration.defs.ingestion import hubspot_raw
from orchestration.defs.jobs import STEP_RETRY
from orchestration.lib.load_errors import load_failure
from orchestration.lib.partitions import last_complete_day
from orchestration.lib.runs import first_failure

from ..conftest import SEED, point_pipeline_at, raw_content, sales_regions


def run_raw_step() -> dg.ExecuteInProcessResult:
    """The nightly job's raw step alone, with the nightly job's step retry policy."""
    job = dg.define_asset_job(
        "raw_only", selection=dg.AssetSelection.assets(hubspot_raw), op_retry_policy=STEP_RETRY
    )
    defs = dg.Definitions(assets=[hubspot_raw], jobs=[job], resources={"dlt": DagsterDltResource()})
    day = last_complete_day()
    return defs.resolve_job_def("raw_only").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        tags={
            "dagster/asset_partition_range_start": day,
            "dagster/asset_partition_range_end": day,
        },
    )


def failed_once_with_one_line(result: dg.ExecuteInProcessResult) -> str:
    """The failure's line, after checking the step was not retried."""
    assert not result.success
    kinds = {e.event_type_value for e in result.all_events}
    assert "STEP_UP_FOR_RETRY" not in kinds and "STEP_RESTARTED" not in kinds, kinds
    message = first_failure(result)
    assert "\n" not in message and "Traceback" not in message, message
    return message


def fault_stats(sb) -> dict[str, int]:
    auth = {"Authorization": f"Bearer {sb.token}"}
    return httpx.get(f"{sb.base_url}/_sandbox/faults", headers=auth).json()


@pytest.fixture(scope="module")
def clean_load(sandbox, tmp_path_factory) -> Path:
    """A fault-free raw load of the session's sandbox: its folder (warehouse and dlt state)."""
    folder = tmp_path_factory.mktemp("clean")
    with pytest.MonkeyPatch.context() as mp:
        point_pipeline_at(mp, sandbox, folder)
        result = run_raw_step()
    assert result.success, first_failure(result)
    return folder


@pytest.fixture
def loaded(clean_load, sandbox, tmp_path, monkeypatch) -> Path:
    """A copy of the clean load, with the pipeline pointed at it."""
    folder = tmp_path / "data"
    shutil.copytree(clean_load, folder)
    point_pipeline_at(monkeypatch, sandbox, folder)
    return folder


# -- faults the connector retries ----------------------------------------------------------


def test_custom_properties_survive_a_night_of_server_errors(tmp_path, monkeypatch):
    """Night 2 answers 30 % of requests with 5xx, the property lists included: the custom
    property values loaded on night 1 stay, and the re-read deals keep theirs."""
    nights = [
        ("--custom-properties",),
        ("--custom-properties", "--days-later", "1", "--faults", "error_rate=0.3,seed=0"),
    ]
    for extra in nights:
        with sandbox_process("small", SEED, extra_args=extra) as sb:
            point_pipeline_at(monkeypatch, sb, tmp_path)
            result = run_raw_step()
            if "--faults" in extra:
                stats = fault_stats(sb)
        assert result.success, first_failure(result)
    assert stats["errors"] > 10, stats
    org = Organisation("small", SEED, days_later=1)  # the CRM of night 2
    changed = add_custom_properties(org, SEED)
    rows = sales_regions(tmp_path / "warehouse.duckdb")
    assert len(rows) == len(changed) > 100
    assert rows == {i: org.objects["deals"][i].properties["sales_region"] for i in changed}


def test_a_property_list_that_cannot_be_read_fails_with_one_line():
    with sandbox_process("small", SEED, extra_args=("--faults", "outage=1000")) as sb:
        session = crm_session(10_000, timeout=5, max_attempts=2)
        with pytest.raises(CrmUnreachable) as failed:
            discover_custom_properties(sb.base_url, sb.token, session)
    message = str(failed.value)
    assert "HTTP 50" in message and "companies property list" in message
    assert "retries by itself" in message and "\n" not in message


def test_a_night_of_dropped_connections_loads_what_a_fault_free_night_loads(
    clean_load, tmp_path, monkeypatch
):
    with sandbox_process("small", SEED, extra_args=("--faults", "drop_rate=0.2,seed=5")) as sb:
        point_pipeline_at(monkeypatch, sb, tmp_path)
        result = run_raw_step()
        stats = fault_stats(sb)
    assert result.success, first_failure(result)
    assert stats["dropped"] > 20, stats
    assert raw_content(tmp_path / "warehouse.duckdb") == raw_content(
        clean_load / "warehouse.duckdb"
    )


def test_drops_that_outlast_the_retries_are_one_retryable_line(tmp_path):
    with sandbox_process("small", SEED, extra_args=("--faults", "drop_rate=1")) as sb:
        with pytest.raises(CrmUnreachable, match="kept dropping the connection"):
            check_crm(sb.base_url, sb.token, session=crm_session(10_000, max_attempts=2))
        pipeline = hubspot_pipeline(str(tmp_path / "w.duckdb"), str(tmp_path / ".dlt"))
        source = hubspot_source(
            sb.base_url, sb.token, session=crm_session(10_000, timeout=5, max_attempts=2)
        )
        with pytest.raises(Exception) as failed:
            pipeline.run(source, loader_file_format="parquet")
    error = load_failure(failed.value, sb.base_url, tmp_path / "w.duckdb", tmp_path / ".dlt")
    assert error is not None and error.allow_retries
    assert error.message.startswith(f"the CRM at {sb.base_url} kept dropping the connection")
    assert "\n" not in error.message


# -- settings to fix: at once, one line, no step retries -------------------------------------


def test_a_closed_port_fails_at_once_naming_crm_base_url(crm_env, monkeypatch):
    monkeypatch.setenv("CRM_BASE_URL", f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    message = failed_once_with_one_line(run_raw_step())
    assert time.monotonic() - started < 30
    assert "cannot connect to the CRM" in message and "check CRM_BASE_URL" in message


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:{port}", "http://no-such-crm.invalid"], ids=["refused", "dns"]
)
def test_a_connection_that_cannot_be_opened_is_not_retried(base_url):
    session = crm_session(100, timeout=5)
    started = time.monotonic()
    with pytest.raises(CrmUnavailable) as failed:
        check_crm(base_url.format(port=free_port()), "x", session=session)
    assert not isinstance(failed.value, CrmUnreachable)
    assert "CRM_BASE_URL" in str(failed.value)
    assert time.monotonic() - started < 5  # one attempt: the session's backoff is 0.5 s, 1 s, ...


class _WebPage(BaseHTTPRequestHandler):
    """A web server that is not the API: everything redirects to an HTML login page."""

    def do_GET(self) -> None:
        if self.path.startswith("/login"):
            body = b"<!doctype html><html><body><form>Sign in</form></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(302)
            self.send_header("Location", "/login?next=" + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def web_page() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_html_answer_names_crm_base_url(crm_env, web_page, monkeypatch):
    monkeypatch.setenv("CRM_BASE_URL", web_page)
    message = failed_once_with_one_line(run_raw_step())
    assert f"the CRM at {web_page} answered HTML, not JSON" in message
    assert "check CRM_BASE_URL points at the HubSpot API root" in message


# -- a damaged or busy warehouse: one line, nothing loaded is lost ---------------------------


def test_a_truncated_warehouse_is_one_line_and_left_as_it_was(loaded):
    warehouse = loaded / "warehouse.duckdb"
    with warehouse.open("r+b") as f:
        f.truncate(warehouse.stat().st_size // 2)
    before = warehouse.read_bytes()
    message = failed_once_with_one_line(run_raw_step())
    assert f"WAREHOUSE_PATH {warehouse} is not a readable DuckDB database" in message
    assert "restore it from a backup or delete it" in message
    assert str(loaded / ".dlt_pipelines") in message
    assert warehouse.read_bytes() == before


def test_a_corrupt_dlt_state_names_the_folder_to_delete(loaded, clean_load):
    pipelines = loaded / ".dlt_pipelines"
    (pipelines / "hubspot" / "state.json").write_text('{"_state_version": 3, "sour')
    message = failed_once_with_one_line(run_raw_step())
    assert f"{pipelines} is unreadable" in message and "delete that folder" in message
    # Doing what the line says works, and keeps what was loaded.
    shutil.rmtree(pipelines)
    result = run_raw_step()
    assert result.success, first_failure(result)
    assert raw_content(loaded / "warehouse.duckdb") == raw_content(clean_load / "warehouse.duckdb")


def test_a_locked_warehouse_names_the_file_and_the_process_holding_it(loaded):
    warehouse = loaded / "warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "time.sleep(120)",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        message = failed_once_with_one_line(run_raw_step())
    finally:
        holder.kill()
        holder.wait()
    assert f"WAREHOUSE_PATH {warehouse} is locked by process {holder.pid}" in message
