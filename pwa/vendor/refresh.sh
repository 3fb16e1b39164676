#!/usr/bin/env bash
# Refresh pwa/vendor/ from the npm registry: the pinned versions below, nothing else.
#
#   pwa/vendor/refresh.sh            (needs npm and node; run from anywhere)
#
# `npm pack` downloads each tarball and checks it against the registry's integrity hash; the script
# compares that hash again with `npm view`, copies only the files the browser needs, rewrites bare
# import specifiers to relative paths (browsers cannot resolve "zxing-wasm/reader" without a
# bundler or an import map), checks that every import resolves to a vendored file, and writes a
# VERSION file per library. The output depends only on the tarballs: running it twice gives
# identical files. README.md and LICENSES/ in this folder are not touched.
set -euo pipefail

IDB_VERSION=8.0.4                 # latest 8.x
BARCODE_DETECTOR_VERSION=3.2.2
ZXING_WASM_VERSION=3.1.3          # exactly what barcode-detector pins (checked below)

VENDOR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# fetch NAME VERSION: downloads and unpacks the tarball to $TMP/NAME/package, prints its integrity.
fetch() {
    local name=$1 version=$2 integrity expected
    mkdir -p "$TMP/$name"
    integrity=$(cd "$TMP/$name" && npm pack "$name@$version" --json --ignore-scripts --loglevel=error \
        | node -e 'const [p] = JSON.parse(require("fs").readFileSync(0, "utf8")); process.stdout.write(p.integrity)')
    expected=$(npm view "$name@$version" dist.integrity --loglevel=error)
    if [[ "$integrity" != "$expected" ]]; then
        echo "refresh.sh: $name@$version: tarball integrity $integrity differs from the registry's $expected" >&2
        exit 1
    fi
    tar -xzf "$TMP/$name"/*.tgz -C "$TMP/$name"
    printf '%s' "$integrity"
}

# install NAME VERSION INTEGRITY SRC:DEST...: a fresh VENDOR/NAME with the listed files, LICENSE and VERSION.
install_files() {
    local name=$1 version=$2 integrity=$3 pair src dest
    shift 3
    rm -rf "${VENDOR:?}/$name"
    mkdir -p "$VENDOR/$name"
    cp "$TMP/$name/package/LICENSE" "$VENDOR/$name/LICENSE"
    {
        echo "name: $name"
        echo "version: $version"
        echo "integrity: $integrity"
        echo "tarball: $(npm view "$name@$version" dist.tarball --loglevel=error)"
        echo "files (tarball path -> vendored path):"
    } > "$VENDOR/$name/VERSION"
    for pair in "$@"; do
        src=${pair%%:*}
        dest=${pair#*:}
        mkdir -p "$(dirname "$VENDOR/$name/$dest")"
        cp "$TMP/$name/package/$src" "$VENDOR/$name/$dest"
        echo "  $src -> $dest" >> "$VENDOR/$name/VERSION"
    done
}

idb_integrity=$(fetch idb "$IDB_VERSION")
bd_integrity=$(fetch barcode-detector "$BARCODE_DETECTOR_VERSION")
zx_integrity=$(fetch zxing-wasm "$ZXING_WASM_VERSION")

pinned=$(node -p 'require(process.argv[1]).dependencies["zxing-wasm"]' "$TMP/barcode-detector/package/package.json")
if [[ "$pinned" != "$ZXING_WASM_VERSION" ]]; then
    echo "refresh.sh: barcode-detector@$BARCODE_DETECTOR_VERSION pins zxing-wasm $pinned, not $ZXING_WASM_VERSION" >&2
    exit 1
fi

install_files idb "$IDB_VERSION" "$idb_integrity" \
    build/index.js:index.js
install_files barcode-detector "$BARCODE_DETECTOR_VERSION" "$bd_integrity" \
    dist/es/ponyfill.js:ponyfill.js \
    dist/es/zxing-exported.js:zxing-exported.js
install_files zxing-wasm "$ZXING_WASM_VERSION" "$zx_integrity" \
    dist/reader/zxing_reader.wasm:zxing_reader.wasm

# The ponyfill checks the wasm it loads against the SHA-256 it was built with: make sure it is this one.
wasm_sha=$(sha256sum "$VENDOR/zxing-wasm/zxing_reader.wasm" | cut -d' ' -f1)
if ! grep -q "\"$wasm_sha\"" "$VENDOR/barcode-detector/zxing-exported.js"; then
    echo "refresh.sh: zxing_reader.wasm (sha256 $wasm_sha) is not the one barcode-detector was built with" >&2
    exit 1
fi

# Bare specifiers -> relative paths. In 3.2.2 the ES build inlines zxing-wasm's reader glue into
# zxing-exported.js, so nothing matches today; the map and the checks keep a future refresh honest.
node - "$VENDOR" <<'JS'
const fs = require("fs");
const path = require("path");
const vendor = process.argv[2];
// bare specifier -> file under pwa/vendor/ (vendor it above before adding it here)
const MAP = {
  "zxing-wasm/reader": "zxing-wasm/reader/index.js",
  "barcode-detector/ponyfill": "barcode-detector/ponyfill.js",
  "idb": "idb/index.js",
};
// import/export statements at the start of a line (what bundlers emit), side-effect imports and
// dynamic import("…"); a "from '…'" inside a message string is not an import.
const IMPORT = /(^[ \t]*(?:import|export)\b[^'"`;]*?\bfrom[ \t]*|^[ \t]*import[ \t]*|\bimport\([ \t]*)(["'])([^"'\n]+)\2/gm;
const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith(".js")) files.push(p);
  }
})(vendor);
let problems = 0;
for (const file of files) {
  const text = fs.readFileSync(file, "utf8");
  const out = text.replace(IMPORT, (all, lead, q, spec) => {
    if (/^(\.{1,2}\/|\/|[a-z]+:)/.test(spec)) return all;
    if (!(spec in MAP)) {
      console.error(`refresh.sh: ${path.relative(vendor, file)}: bare import "${spec}" has no mapping`);
      problems++;
      return all;
    }
    let rel = path.relative(path.dirname(file), path.join(vendor, MAP[spec])).split(path.sep).join("/");
    if (!rel.startsWith(".")) rel = "./" + rel;
    return lead + q + rel + q;
  });
  if (out !== text) fs.writeFileSync(file, out);
  for (const [, , , spec] of out.matchAll(IMPORT)) {
    if (/^\.{1,2}\//.test(spec) && !fs.existsSync(path.resolve(path.dirname(file), spec))) {
      console.error(`refresh.sh: ${path.relative(vendor, file)}: import "${spec}" is not vendored`);
      problems++;
    }
  }
}
if (problems) process.exit(1);
JS

echo "pwa/vendor: idb $IDB_VERSION, barcode-detector $BARCODE_DETECTOR_VERSION, zxing-wasm $ZXING_WASM_VERSION"
