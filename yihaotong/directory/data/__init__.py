"""Seed data for the directory: units, taxonomy, time limits, dispositions and demo text (pure Python)."""
