"""Raw layer: each CRM connection -> DuckDB `raw_<connection>` through dlt.

One asset group per connection (ingestion/connections.py); with no connections file that is
the single HubSpot connection `hubspot` of CRM_BASE_URL / CRM_ACCESS_TOKEN (`raw_hubspot`).
A Salesforce connection's asset reads every object changed since its last load, and from
the start of the run's days when that is earlier (a backfill re-reads its range)."""

import dagster as dg
from dagster_dlt import DagsterDltResource, dlt_assets

from ingestion.connections import Connection, connections_or_default, load_connections
from ingestion.http import CrmUnavailable, CrmUnreachable, crm_session
from ingestion.hubspot.cpu import fewer_collections
from ingestion.hubspot.preflight import check_crm
from ingestion.hubspot.source import (
    discover_custom_properties,
    hubspot_pipeline,
    hubspot_source,
    new_tables,
)
from ingestion.salesforce.client import SalesforceClient
from ingestion.salesforce.source import OBJECTS, salesforce_source
from ingestion.settings import ConfigError, Settings, load_settings_or_defaults
from ingestion.warehouse import built_by_spark, crm_pipeline
from orchestration.lib.config import check_all_settings
from orchestration.lib.errors import UserFacingError
from orchestration.lib.load_errors import corrupt_state, load_failure
from orchestration.lib.partitions import DAILY, window_of
from orchestration.lib.translators import ConnectionDltTranslator

DUCKDB_POOL = "duckdb"

# The connections as configured when the definitions load (a wrong file: the default, and
# the run says what is wrong).
CONNECTIONS = connections_or_default(load_settings_or_defaults())


def _connection_named(settings: Settings, name: str) -> Connection:
    for connection in load_connections(settings):
        if connection.name == name:
            return connection
    raise ConfigError(
        f"connection {name!r} is no longer in {settings.crm_connections_file}: reload the "
        "Dagster definitions (restart `make dev`)"
    )


def _connection_assets(connection: Connection, spec_source, spec_pipeline):
    """The dlt_assets decorator of one connection: its asset keys raw_<name>/<resource>,
    daily partitions, a backfill range as one run (one dlt writer), the DuckDB pool. The
    spec source and pipeline describe the asset graph only: a run builds its own."""
    return dlt_assets(
        dlt_source=spec_source,
        dlt_pipeline=spec_pipeline,
        name=connection.name,
        dagster_dlt_translator=ConnectionDltTranslator(connection.raw_schema),
        partitions_def=DAILY,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
    )


def raw_assets(connection: Connection) -> dg.AssetsDefinition:
    """The dlt asset of one connection: its raw tables, keys raw_<name>/<resource>."""
    if connection.kind == "salesforce":
        return salesforce_assets(connection)
    # Built once for the asset graph only; the run builds its own from the current settings.
    spec_source = hubspot_source("https://api.hubapi.com", "unused-at-definition-time")
    spec_pipeline = hubspot_pipeline(
        "data/warehouse.duckdb", "data/.dlt_pipelines", connection.pipeline_name,
        connection.raw_schema,
    )  # fmt: skip

    @_connection_assets(connection, spec_source, spec_pipeline)
    def _raw(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
        """Extract the CRM changes of the run's days (or everything, on the first run) and
        merge them into the connection's raw schema (parquet loads)."""
        try:
            settings = check_all_settings()  # every setting, before any request
            current = _connection_named(settings, connection.name)
            token = current.token(settings)
            # One session for every request: one rate limiter, the same retries.
            session = crm_session(
                settings.crm_max_requests_per_10s, settings.crm_request_timeout_seconds
            )
            crm_clock = check_crm(current.base_url, token, session=session)
            custom_properties = discover_custom_properties(current.base_url, token, session)
        except (ConfigError, CrmUnavailable) as exc:
            raise UserFacingError(str(exc), retryable=isinstance(exc, CrmUnreachable)) from None
        pipeline = _open_pipeline(context, hubspot_pipeline, settings, current)
        source = hubspot_source(
            current.base_url,
            token,
            crm_clock,
            custom_properties=custom_properties,
            window=_window(context),
            session=session,
            # the lake: every load merges (its views need the keys; dlt appends either way)
            first_load=new_tables(pipeline) if settings.warehouse_engine == "duckdb" else set(),
        )
        with fewer_collections():
            yield from _load(context, dlt, source, pipeline, current, settings)

    return _raw


# Enough of a describe to name each object's table at definition time (no request).
SPEC_DESCRIBE = {"fields": [{"name": "Id", "type": "id"}]}


def salesforce_assets(connection: Connection) -> dg.AssetsDefinition:
    spec_client = SalesforceClient("https://login.salesforce.com", "unused", "unused")
    spec_source = salesforce_source(spec_client, describes=dict.fromkeys(OBJECTS, SPEC_DESCRIBE))
    spec_pipeline = crm_pipeline(
        "data/warehouse.duckdb", "data/.dlt_pipelines", connection.pipeline_name,
        connection.raw_schema,
    )  # fmt: skip

    @_connection_assets(connection, spec_source, spec_pipeline)
    def _raw(context: dg.AssetExecutionContext, dlt: DagsterDltResource):
        """Extract the Salesforce objects changed since the last load or the run's first day,
        whichever is earlier (every row, on the first run), and merge them into the
        connection's raw schema."""
        try:
            settings = check_all_settings()
            current = _connection_named(settings, connection.name)
            client_id, secret = current.client_credentials(settings)
            client = SalesforceClient(
                current.base_url,
                client_id,
                secret,
                ca_bundle=current.ca_bundle,
                reserve=current.api_reserve,
                timeout=settings.crm_request_timeout_seconds,
            )
            # login and describes: wrong settings stop here
            source = salesforce_source(client, window=_window(context))
        except (ConfigError, CrmUnavailable) as exc:
            raise UserFacingError(str(exc), retryable=isinstance(exc, CrmUnreachable)) from None
        pipeline = _open_pipeline(context, crm_pipeline, settings, current)
        yield from _load(context, dlt, source, pipeline, current, settings)

    return _raw


def _open_pipeline(context, factory, settings: Settings, current: Connection):
    """The connection's dlt pipeline (`factory`: its CRM's), in the warehouse's folder."""
    if not settings.warehouse_path.exists():
        context.log.warning(
            f"no warehouse at {settings.warehouse_path} yet: this first run reads the "
            "whole CRM history (every record once), later runs only what changed"
        )
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    lake = str(settings.lake_path) if settings.warehouse_engine == "spark" else None
    if lake is None and built_by_spark(settings.warehouse_path, current.raw_schema):
        raise UserFacingError(
            f"{settings.warehouse_path} was built with WAREHOUSE_ENGINE=spark (its raw tables "
            "are views of the lake): set WAREHOUSE_ENGINE=spark, or give the DuckDB engine a "
            "WAREHOUSE_PATH of its own"
        )
    try:
        return factory(
            str(settings.warehouse_path), str(settings.dlt_pipelines_dir),
            current.pipeline_name, current.raw_schema, settings.duckdb_memory_limit, lake,
        )  # fmt: skip
    except ValueError:  # dlt reads its state file here; a JSON decode error is a ValueError
        raise corrupt_state(settings.dlt_pipelines_dir) from None


def _load(context, dlt: DagsterDltResource, source, pipeline, current: Connection, settings):
    """dlt's run of the source into the pipeline (parquet loads); a known failure as one line."""
    try:
        yield from dlt.run(
            context=context, dlt_source=source, dlt_pipeline=pipeline, loader_file_format="parquet"
        )
    except Exception as exc:
        error = load_failure(
            exc, current.base_url, settings.warehouse_path, settings.dlt_pipelines_dir
        )
        if error is None:
            raise
        raise error from None


def _window(context: dg.AssetExecutionContext):
    if not context.has_partition_key_range:
        return None
    keys = context.partition_key_range
    return window_of(keys.start, keys.end)


RAW_ASSETS = [raw_assets(connection) for connection in CONNECTIONS]
# The default connection's asset, under the name the tests and docs know.
hubspot_raw = RAW_ASSETS[0]

defs = dg.Definitions(assets=RAW_ASSETS, resources={"dlt": DagsterDltResource()})
