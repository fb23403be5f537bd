"""Persistence: SQLModel tables, async sessions, migrations and the bounded queries."""
