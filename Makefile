# The two commands of the README. Both install what they need (idempotent).
.PHONY: run test setup bench

PORT ?= 5000

setup:
	bash .ci/install-system
	bash .ci/setup-python requirements.txt

# Start the application on http://127.0.0.1:$(PORT) with the seed data and demo accounts (SQLite).
run: setup
	FLASK_APP=wsgi .venv/bin/flask init-db
	FLASK_APP=wsgi .venv/bin/flask seed --demo
	FLASK_APP=wsgi .venv/bin/flask run --host 127.0.0.1 --port $(PORT)

# The whole test suite, on SQLite and on a PostgreSQL server started on loopback.
test:
	bash .ci/test

# The benchmarks (they print their figures; the load test starts its own PostgreSQL).
bench: setup
	.venv/bin/python bench/bench_sweep.py
	.venv/bin/python bench/bench_documents.py
	.venv/bin/python bench/load.py --baseline --alone --seconds 15
	.venv/bin/python bench/explain_lists.py --plans flagged
	.venv/bin/python bench/import_accuracy.py
	.venv/bin/python bench/fuzz.py
	.venv/bin/python bench/bench_notifications.py
