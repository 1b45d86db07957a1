"""The bare baseline of bench/load.py: a Flask JSON route that reads no database, served by the same
gunicorn as the application, so each figure of a run can be given as a ratio to what the machine
and the server do with no application work at all (``gunicorn bench.bare_app:app``)."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def bare():
    return {"ok": True}
