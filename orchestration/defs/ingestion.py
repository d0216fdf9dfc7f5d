"""Raw layer: HubSpot CRM -> DuckDB `raw_hubspot` through dlt."""

import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets

from ingestion.hubspot.http import CrmUnavailable, CrmUnreachable, crm_session
from ingestion.hubspot.preflight import check_crm
from ingestion.hubspot.source import (
    discover_custom_properties,
    hubspot_pipeline,
    hubspot_source,
)
from ingestion.settings import ConfigError
from orchestration.lib.config import check_all_settings
from orchestration.lib.errors import UserFacingError
from orchestration.lib.load_errors import corrupt_state, load_failure
from orchestration.lib.partitions import DAILY, window_of
from orchestration.lib.translators import HubSpotDltTranslator

DUCKDB_POOL = "duckdb"

# Built once for the asset graph only; the run builds its own from the current settings.
_SPEC_SOURCE = hubspot_source("https://api.hubapi.com", "unused-at-definition-time")
_SPEC_PIPELINE = hubspot_pipeline("data/warehouse.duckdb", "data/.dlt_pipelines")


@dlt_assets(
    dlt_source=_SPEC_SOURCE,
    dlt_pipeline=_SPEC_PIPELINE,
    name="hubspot",
    dagster_dlt_translator=HubSpotDltTranslator(),
    partitions_def=DAILY,
    backfill_policy=dg.BackfillPolicy.single_run(),  # a range is one run: one dlt writer
    pool=DUCKDB_POOL,
)
def hubspot_raw(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
    """Extract the CRM changes of the run's days (or everything, on the first run) and
    merge them into raw_hubspot (parquet loads)."""
    try:
        settings = check_all_settings()  # every setting, before any request
        token = settings.token()
        # One session for every request: one rate limiter, the same retries.
        session = crm_session(
            settings.crm_max_requests_per_10s, settings.crm_request_timeout_seconds
        )
        crm_clock = check_crm(settings.crm_base_url, token, session=session)
        custom_properties = discover_custom_properties(settings.crm_base_url, token, session)
    except (ConfigError, CrmUnavailable) as exc:
        raise UserFacingError(str(exc), retryable=isinstance(exc, CrmUnreachable)) from None
    if not settings.warehouse_path.exists():
        context.log.warning(
            f"no warehouse at {settings.warehouse_path} yet: this first run reads the whole "
            "CRM history (every record once), later runs only what changed"
        )
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        pipeline = hubspot_pipeline(str(settings.warehouse_path), str(settings.dlt_pipelines_dir))
    except ValueError:  # dlt reads its state file here; a JSON decode error is a ValueError
        raise corrupt_state(settings.dlt_pipelines_dir) from None
    source = hubspot_source(
        settings.crm_base_url,
        token,
        crm_clock,
        custom_properties=custom_properties,
        window=_window(context),
        session=session,
    )
    try:
        yield from dlt.run(
            context=context, dlt_source=source, dlt_pipeline=pipeline, loader_file_format="parquet"
        )
    except Exception as exc:
        error = load_failure(
            exc, settings.crm_base_url, settings.warehouse_path, settings.dlt_pipelines_dir
        )
        if error is None:
            raise
        raise error from None


def _window(context: dg.AssetExecutionContext):
    if not context.has_partition_key_range:
        return None
    keys = context.partition_key_range
    return window_of(keys.start, keys.end)


defs = dg.Definitions(assets=[hubspot_raw], resources={"dlt": DagsterDltResource()})
