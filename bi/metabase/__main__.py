"""Write bi/metabase/SETUP.md from the dashboard's definition (bi/superset/dashboard.py)."""

from bi.manifest import mart_columns
from bi.metabase.questions import SETUP, setup_markdown

if __name__ == "__main__":
    SETUP.write_text(setup_markdown(mart_columns()))
    print(f"wrote {SETUP}")
