#!/usr/bin/env bash
# Build the double-clickable app from a clean environment that holds only what `pip install .`
# brings plus PyInstaller (the lock file's versions), then check the frozen app really works.
# Usage: scripts/build_app.sh [--no-checks]      Output: dist/review-sentiment/
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-build
PY="$VENV/bin/python"
[ -x "$PY" ] || uv venv --quiet --python "$(uv run --no-sync python -c 'import sys; print(sys.executable)' 2>/dev/null || echo 3.11)" "$VENV"

# Runtime dependencies + the build group, pinned by uv.lock; the project itself without editable mode.
requirements="$VENV/requirements-build.txt"
uv export --quiet --frozen --no-dev --no-default-groups --group build --no-emit-project --no-hashes \
    --output-file "$requirements"
uv pip sync --quiet --python "$PY" "$requirements"
uv pip install --quiet --python "$PY" --no-deps --reinstall-package review-sentiment .

"$PY" -m PyInstaller --noconfirm --clean --log-level WARN build.spec

if [ "${1:-}" != "--no-checks" ]; then
    "$PY" scripts/check_build.py dist/review-sentiment
fi
