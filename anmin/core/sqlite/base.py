"""Django's SQLite backend, creating the database file's folder when it first opens it.

The folder (VAR_DIR by default) is not made when settings are imported: a command that never
touches the database (check, makemigrations, --help) run from anywhere must write nothing.
"""

from pathlib import Path

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        name = str(conn_params.get("database", ""))
        # ":memory:" and "file:…" URIs name no folder of ours.
        if name and name != ":memory:" and not name.startswith("file:"):
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
