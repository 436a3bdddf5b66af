"""Callbacks, satisfaction, redo rounds, third-party review and publication of cases."""
