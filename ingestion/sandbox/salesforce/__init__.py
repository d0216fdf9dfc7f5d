"""The Salesforce-compatible sandbox: the generated organisation (generator.py) served as
Salesforce's REST API serves an org (OAuth 2.0 client credentials, SOQL query and
queryAll with cursor paging, describe, limits), over HTTPS with a certificate made at
start. `python -m ingestion.sandbox.salesforce --help`.

- objects.py: the organisation as Salesforce objects (Id, fields, types for describe);
- soql.py: the SOQL the connector uses (SELECT, FROM, WHERE with AND, ORDER BY, LIMIT);
- app.py: the HTTP API (paths, headers, error bodies as Salesforce's documentation has them);
- tls.py: the self-signed certificate.
"""
