#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser tests (tests/browser use
# /usr/bin/chromium through Playwright; `playwright install` is never used).
set -euo pipefail
command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
