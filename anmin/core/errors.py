"""Errors that actions raise; views and the API turn them into clear messages naming the field."""


class ActionError(Exception):
    """A request that cannot be carried out as asked (bad value, wrong state)."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid", extra=None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.code = code
        self.extra = extra or {}

    def as_dict(self) -> dict:
        item = {"field": self.field, "message": self.message, "code": self.code}
        item.update(self.extra)
        return item


class Denied(ActionError):
    """The user may not do this to this object (outside their organization, wrong role)."""

    status = 403

    def __init__(self, message: str = "无权执行此操作", **kwargs):
        kwargs.setdefault("code", "forbidden")
        super().__init__(message, **kwargs)


class Conflict(ActionError):
    """The object changed under us: e.g. a unit already assigned by another dispatcher."""

    status = 409

    def __init__(self, message: str, **kwargs):
        kwargs.setdefault("code", "conflict")
        super().__init__(message, **kwargs)
