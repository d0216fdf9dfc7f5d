"""The Salesforce connection (issue 14, under way): client.py is the REST client the dlt
source will read through."""
