"""The rules of Funcpad. No Flask request objects here: callers pass a SQLAlchemy session."""
