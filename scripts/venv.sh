# Sourced by run.sh and test.sh: make (once) and use the project's virtual environment.
VENV=${PLAUDIT_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
fi
