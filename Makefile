# The two commands of the README. Everything else is in scripts/setup.sh.
.PHONY: run test lint format bench

run:
	scripts/setup.sh
	.venv/bin/gunicorn -c gunicorn.conf.py

test:
	scripts/setup.sh --test
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/python -m pytest

lint:
	.venv/bin/ruff check .

format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench:
	.venv/bin/python bench/bundle_size.py
