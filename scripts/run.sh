#!/usr/bin/env bash
# Set up (if needed), migrate the database, create the first admin on the first run, and serve
# the dashboard with its embedded camera worker on the embedded SQLite default.
# Settings come from ATTENDANCE_* variables or instance/config.toml (see config.toml.example).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

attendance db upgrade
attendance user ensure-admin
exec attendance serve "$@"
