#!/usr/bin/env bash
# Run every test: the standards library, the API and pages, and the browser tests in Debian's
# chromium. Installs what is missing first. Extra arguments go to pytest.
# SQLite by default; set DATABASE_URL (a fresh PostgreSQL database) and REDIS_URL to run on those.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh dev
if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    chromium fonts-noto-cjk >/dev/null
fi
exec .venv/bin/python -m pytest "$@"
