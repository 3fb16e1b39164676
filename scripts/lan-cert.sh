#!/usr/bin/env bash
# A certificate for serving the field app to real phones on a LAN over HTTPS (cameras, location and
# service workers need a secure context; a plain self-signed certificate is not enough for service
# workers, so this makes a small private CA that the phones trust once, and a server certificate
# signed by it for this machine's address).
#
#   scripts/lan-cert.sh 192.168.1.20            # writes instance/tls/{ca.crt,server.crt,server.key}
#   TLS_CERT=instance/tls/server.crt TLS_KEY=instance/tls/server.key HOST=0.0.0.0 make run
#
# Then install instance/tls/ca.crt on each phone as a trusted CA (Android: 设置 → 安全 → 加密与凭据 →
# 安装证书 → CA 证书; iPhone: open the file, install the profile, then 设置 → 通用 → 关于本机 →
# 证书信任设置 → turn it on) and open https://192.168.1.20:5000/app/ .
set -euo pipefail
cd "$(dirname "$0")/.."
address=${1:?"usage: scripts/lan-cert.sh IP-ADDRESS-OR-HOSTNAME"}
dir=${YIBIAO_INSTANCE:-instance}/tls
mkdir -p "$dir"
if [[ $address =~ ^[0-9.]+$ ]]; then san="IP:$address"; else san="DNS:$address"; fi
if [[ ! -f $dir/ca.key ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -subj "/CN=Yibiao LAN CA" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign"
fi
openssl req -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=$address"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 825 \
  -out "$dir/server.crt" -extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san")
rm -f "$dir/server.csr"
echo "已生成：$dir/server.crt（$address），请把 $dir/ca.crt 安装到手机上并设为信任"
