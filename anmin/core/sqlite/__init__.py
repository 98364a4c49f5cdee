"""The SQLite database backend used for the embedded default (see base.py)."""
