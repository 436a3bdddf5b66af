"""Call events from the telephony server: screen-pop on the intake desk, call log, missed calls."""
