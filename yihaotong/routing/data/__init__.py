"""Data for intake intelligence, written for this project from public facts (pure Python, no ORM)."""
