"""The broadcast's models: work groups, the widening rings, every send (filled in as it lands)."""

__all__: list[str] = []
