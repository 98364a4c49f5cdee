"""The admin of missing-person cases (case_admin) and of the broadcast's groups (broadcast_admin)."""

from anmin.missing import broadcast_admin, case_admin  # noqa: F401 - each registers its models
