#!/usr/bin/env bash
# Run every test: the standards library, the API and pages, and the browser tests in Debian's
# chromium. Installs what is missing first. Extra arguments go to pytest.
# SQLite by default; set DATABASE_URL (a fresh PostgreSQL database) and REDIS_URL to run on those.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh dev
scripts/system-packages.sh chromium fonts-noto-cjk
exec .venv/bin/python -m pytest "$@"
