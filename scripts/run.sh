#!/usr/bin/env bash
# Install Plaudit into .venv and serve it on its embedded defaults (SQLite in this folder).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
"$VENV/bin/pip" install --quiet -e .
exec "$VENV/bin/plaudit" serve "$@"
