#!/usr/bin/env bash
# Install Plaudit into .venv and serve it on its embedded defaults (SQLite in this folder).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${PLAUDIT_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
fi
"$VENV/bin/pip" install --quiet -e .
exec "$VENV/bin/plaudit" serve "$@"
