"""WSGI entry point: gunicorn wsgi:app, flask --app wsgi …"""

from alex import create_app

app = create_app()
