#!/usr/bin/env bash
# Create .venv with Python 3.11 and install the pinned requirements (add "dev" for the test tools).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
"$python" -c 'import sys; assert sys.version_info[:2] >= (3, 11), "Yibiao needs Python 3.11 or newer"'
[ -x .venv/bin/python ] || "$python" -m venv .venv
wanted=requirements.txt
[ "${1:-}" = dev ] && wanted=requirements-dev.txt
stamp=".venv/.installed-$(cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-12)-${1:-run}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$wanted"
  touch "$stamp"
fi
