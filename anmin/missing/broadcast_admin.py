"""Admin of the broadcast: work groups, ring rules, sends (filled in as it lands)."""
