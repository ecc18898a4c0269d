"""The shop's orders service: a small WSGI application over SQLite."""
