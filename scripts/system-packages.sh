#!/usr/bin/env bash
# Install the Debian packages named as arguments that are missing (apt, with sudo unless root).
# fonts-noto-cjk: the CJK font the plates are printed in (and the pages and screenshots use);
# chromium: the browser the end-to-end tests drive.
set -euo pipefail
missing=()
for package in "$@"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "安装系统软件包：${missing[*]}"
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
