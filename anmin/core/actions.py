"""Base class for actions: one mutation, its permission check, its transaction, its audit entry."""

from django.db import transaction


class Action:
    """Subclasses implement `check()` (raise Denied/ActionError) and `run()` (the mutation).

    `execute()` runs both inside one transaction so a refused or failed action writes nothing.
    """

    def check(self) -> None:  # pragma: no cover - overridden
        return None

    def run(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def execute(self):
        with transaction.atomic():
            self.check()
            return self.run()
