"""Publish the audited warehouse to where BI reads it."""
