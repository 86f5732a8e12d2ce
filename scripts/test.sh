#!/usr/bin/env bash
# Set up (if needed) and run every check: lint, types, layering, then the test suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k enrollment  or  scripts/test.sh --slow
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/ensure_chromium.sh   # Debian's Chromium for the Playwright browser tests
export PATH="$PWD/.venv/bin:$PATH"

echo "==> ruff";          ruff check .
echo "==> mypy";          mypy attendance enrollment webui models
echo "==> import layers"; lint-imports
echo "==> pytest";        pytest "$@"
