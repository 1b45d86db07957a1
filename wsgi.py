"""Entry point for ``flask --app wsgi`` and gunicorn (``gunicorn wsgi:app``)."""
from workflow import create_app

app = create_app()
