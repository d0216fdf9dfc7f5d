"""ASGI server implementing the HubSpot CRM v3 contract over a generated organisation.

Paths, parameters, response shapes and error bodies follow HubSpot's public API docs, so
the connector cannot tell it from api.hubapi.com.

app.py builds the application (routes, the bearer token, fault injection, the CRM clock);
handlers.py answers each endpoint; params.py checks parameters and bodies (HubSpot's 400
VALIDATION_ERROR, never a 500), errors.py writes HubSpot's error bodies; store.py keeps
the records of one object type for paging and search, filters.py evaluates a search's
filters and sorts on a record; serialize.py renders a record as HubSpot does.
"""

from ingestion.sandbox.server.app import create_app
from ingestion.sandbox.server.handlers import SEARCH_RESULT_CAP

__all__ = ["SEARCH_RESULT_CAP", "create_app"]
