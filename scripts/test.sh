#!/usr/bin/env bash
# Run the whole test suite in an isolated data directory.
# NBOPEN_DATABASE_URL=postgres://… runs it against PostgreSQL instead of SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
export NBOPEN_DATA_DIR="${NBOPEN_TEST_DATA_DIR:-$(mktemp -d -t nbopen-test-XXXXXX)}"
export NBOPEN_SECRET_KEY="test-secret-key-not-for-production"
export NBOPEN_TASKS=sync
.venv/bin/ruff check src tests bench scripts
.venv/bin/ruff format --check src tests bench scripts
.venv/bin/mypy src
.venv/bin/python -m django makemigrations --check --dry-run --settings=nbopen.config.settings >/dev/null
echo "database: ${NBOPEN_DATABASE_URL:-sqlite (embedded default)}"
exec .venv/bin/pytest "$@"
