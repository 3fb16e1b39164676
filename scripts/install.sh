#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the pinned requirements (add "dev" for the test tools).
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's own /usr/bin/python3.11 is built with profile-guided and link-time optimisation and not
# against a shared libpython: the server spends 12-20 % less CPU on it than on pyenv's build
# (docs/performance.md, "Field-collection ingest", the interpreter build). Its venv module is the
# python3.11-venv package.
if [ ! -x .venv/bin/python ]; then
  python=${PYTHON:-}
  if [ -z "$python" ] && [ -x /usr/bin/python3.11 ] && command -v apt-get >/dev/null; then
    scripts/system-packages.sh python3.11-venv
    python=/usr/bin/python3.11
  fi
  python=${python:-$(command -v python3.11 || command -v python3)}
  "$python" -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Yibiao needs Python 3.11 or newer"'
  "$python" -m venv .venv
fi
wanted=requirements.txt
[ "${1:-}" = dev ] && wanted=requirements-dev.txt
stamp=".venv/.installed-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)-${1:-run}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$wanted"
  touch "$stamp"
fi
