"""make bench: figures of the running app under gunicorn."""
