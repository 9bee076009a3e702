"""The PostgreSQL fixtures live in tests/pg_server.py (the connector tests use the server too)."""
