"""The intake tests' database fixtures (SQLite and PostgreSQL, FakeClock, settings, the
API client and the registration driver) live in ``tests/integration/conftest.py``,
shared with the other domains."""
