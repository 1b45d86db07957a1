"""Entry point for ``flask --app wsgi`` and gunicorn (``gunicorn wsgi:app``)."""
import gc

from workflow import create_app

app = create_app()
# What is loaded by now (modules, mappers, compiled templates' code) lives as long as the worker:
# moved out of the garbage collector's generations, so its full collections stop walking ~150,000
# objects every few hundred requests (issue 16).
gc.collect()
gc.freeze()
