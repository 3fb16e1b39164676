#!/usr/bin/env bash
# Re-fetch the vendored browser libraries of the server-rendered pages at their pinned versions from
# the npm registry. Run by hand when bumping a version; nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")"
LEAFLET=1.9.4
SWAGGER_UI=5.35.0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent "leaflet@$LEAFLET" "swagger-ui-dist@$SWAGGER_UI" >/dev/null )

rm -rf leaflet swagger-ui; mkdir -p leaflet swagger-ui
tar -xzf "$tmp/leaflet-$LEAFLET.tgz" -C "$tmp"
cp "$tmp/package/dist/leaflet.js" "$tmp/package/dist/leaflet.css" "$tmp/package/LICENSE" leaflet/
cp -r "$tmp/package/dist/images" leaflet/
echo "leaflet $LEAFLET (npm), BSD-2-Clause" > leaflet/VERSION
rm -rf "$tmp/package"

tar -xzf "$tmp/swagger-ui-dist-$SWAGGER_UI.tgz" -C "$tmp"
cp "$tmp/package/swagger-ui.css" "$tmp/package/swagger-ui-bundle.js" \
   "$tmp/package/swagger-ui-standalone-preset.js" "$tmp/package/LICENSE" swagger-ui/
echo "swagger-ui-dist $SWAGGER_UI (npm), Apache-2.0" > swagger-ui/VERSION
echo "vendored: leaflet $LEAFLET, swagger-ui-dist $SWAGGER_UI"
