#!/usr/bin/env bash
# Run every check and test: lint, import layering, the Slack manifest, then pytest on SQLite and,
# when PLAUDIT_TEST_POSTGRES_URL is set (CI sets it), on PostgreSQL too.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
"$VENV/bin/pip" install --quiet -e '.[test]'
export PATH="$PWD/$VENV/bin:$PATH"

echo "== ruff"; ruff check .; ruff format --check .
echo "== mypy"; mypy
echo "== import-linter"; lint-imports
echo "== manifest"; python scripts/validate_manifest.py
echo "== pytest"
python -m pytest "$@"
