"""Metabase: the same dashboard as native SQL questions (bi/metabase/SETUP.md)."""
