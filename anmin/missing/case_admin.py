"""Admin of missing-person cases and clues (filled in as it lands)."""
