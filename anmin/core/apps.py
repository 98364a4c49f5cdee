import sqlite3

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: One idle connection per process to the SQLite file (see CoreConfig.ready).
_sqlite_anchor: sqlite3.Connection | None = None


class CoreConfig(AppConfig):
    name = "anmin.core"
    verbose_name = _("基础")

    def ready(self):
        from django.conf import settings

        global _sqlite_anchor
        db = settings.DATABASES["default"]
        name = str(db.get("NAME", ""))
        if db["ENGINE"] == "django.db.backends.sqlite3" and name and name != ":memory:" and _sqlite_anchor is None:
            # Under ASGI every request opens and closes its own connection. When the last one to a
            # WAL database closes, SQLite checkpoints and deletes the WAL — on nearly every request.
            # An idle connection held for the life of the process keeps the WAL in place.
            try:
                _sqlite_anchor = sqlite3.connect(name, check_same_thread=False)
            except sqlite3.Error:
                _sqlite_anchor = None  # the directory may not exist yet; the first migrate creates it
