"""BI servers over the serving file: Superset (provisioned and tested), Metabase (documented)."""
