"""Superset's configuration for `make bi` (SUPERSET_CONFIG_PATH points here).

Local and offline: the metadata database is SQLite in the BI home, no cache or Celery
server, nothing fetched from outside. The secret key comes from the environment (the
launcher keeps it in a gitignored file of the BI home), never from this file.
"""

import os
from pathlib import Path

_home = Path(os.environ["SUPERSET_HOME"])

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = f"sqlite:///{_home / 'superset.db'}?check_same_thread=false"

# Every chart asks the serving file again: no result cache, so a dashboard refreshed after
# a nightly publish shows the new data (each query opens the file anew, read-only).
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}

# Served on 127.0.0.1 over plain HTTP: no HTTPS-only headers or cookies.
TALISMAN_ENABLED = False
SESSION_COOKIE_SECURE = False
RATELIMIT_ENABLED = False

# Nothing that reaches outside: no map tiles, thumbnails or scheduled reports.
MAPBOX_API_KEY = ""
FEATURE_FLAGS = {"THUMBNAILS": False, "ALERT_REPORTS": False}
ROW_LIMIT = 50000
