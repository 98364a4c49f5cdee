"""Anmin (安民): an integrated smart-policing platform for a city public security bureau."""
