#!/usr/bin/env bash
# Run the whole test suite in an isolated data directory.
# NBOPEN_DATABASE_URL=postgres://… runs it against PostgreSQL instead of SQLite.
# Each phase prints its duration (CI has a time budget; see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
export NBOPEN_DATA_DIR="${NBOPEN_TEST_DATA_DIR:-$(mktemp -d -t nbopen-test-XXXXXX)}"
export NBOPEN_SECRET_KEY="test-secret-key-not-for-production"
export NBOPEN_TASKS=sync

phase() {
  local name="$1" start=$SECONDS
  shift
  "$@"
  echo "phase ${name}: $((SECONDS - start)) s"
}

# NBOPEN_TEST_SKIP_LINT=1: the second database run of .ci/run (the code is the same).
if [ -z "${NBOPEN_TEST_SKIP_LINT:-}" ]; then
  phase ruff .venv/bin/ruff check src tests bench scripts
  phase format .venv/bin/ruff format --check src tests bench scripts
  phase mypy .venv/bin/mypy src
  phase import-contracts .venv/bin/lint-imports
  phase migrations-check .venv/bin/python -m django makemigrations --check --dry-run --settings=nbopen.config.settings
fi
echo "database: ${NBOPEN_DATABASE_URL:-sqlite (embedded default)}"
start=$SECONDS
status=0
.venv/bin/pytest "$@" || status=$?
echo "phase pytest: $((SECONDS - start)) s"
exit "$status"
