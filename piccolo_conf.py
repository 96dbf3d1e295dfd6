"""Piccolo configuration: the portal's engine and the apps whose tables and migrations it runs.

SQLite under the data directory by default; PostgreSQL when DATABASE_URL is set.
"""

from piccolo.conf.apps import AppRegistry

from portal.db import make_engine
from portal.settings import get_settings

_settings = get_settings()

DB = make_engine(_settings.database_url, _settings.sqlite_path)

APP_REGISTRY = AppRegistry(apps=["portal.piccolo_app"])
