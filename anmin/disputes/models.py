"""Models of this app (filled in as its features land)."""
