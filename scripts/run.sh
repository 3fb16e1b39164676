#!/usr/bin/env bash
# One command to a running Yibiao with a demo city on SQLite: http://127.0.0.1:5000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
scripts/system-packages.sh fonts-noto-cjk
export FLASK_APP=wsgi.py
port=${PORT:-5000}
host=${HOST:-127.0.0.1}
# HTTPS for phones on a LAN (scripts/lan-cert.sh makes TLS_CERT and TLS_KEY).
tls=()
scheme=http
if [[ -n ${TLS_CERT:-} ]]; then
  tls=(--certfile "$TLS_CERT" --keyfile "${TLS_KEY:?TLS_KEY is needed with TLS_CERT}")
  scheme=https
fi
# The address printed in every plate's QR code: this server unless told otherwise.
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-$scheme://127.0.0.1:$port}
.venv/bin/flask db upgrade
instance=${YIBIAO_INSTANCE:-instance}
# A first run prints the new demo logins; later runs print the saved ones again.
loaded=$(.venv/bin/flask demo-city --scale small --if-empty)
echo "$loaded"
case "$loaded" in *未重新生成*) cat "$instance/demo-logins.txt" 2>/dev/null || true ;; esac
echo
echo "一标三实 Yibiao 已启动：$scheme://127.0.0.1:$port  （外业采集应用：/app/；Ctrl+C 停止）；门牌二维码指向 $PUBLIC_BASE_URL"
exec .venv/bin/gunicorn --bind "$host:$port" --workers "${WORKERS:-2}" --threads 4 "${tls[@]}" \
  --access-logfile - wsgi:app
