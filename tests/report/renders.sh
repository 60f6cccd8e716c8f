#!/usr/bin/env bash
# The report.renders test: `xpusim compare --report` on the built-in defaults, and the page of the
# hand-made tests/report/rent-fixture.json (cloud prices, a year, levels and break-evens close enough
# that their labels would collide unplaced), each opened in headless Chromium by render_test.mjs, which
# checks that every chart draws and that no two text labels overlap, and saves a screenshot.
#   renders.sh XPUSIM_BINARY SOURCE_DIR OUT_DIR RENDER_DOCUMENT_BINARY
# Writes OUT_DIR/compare.html, compare.txt (the table), compare.png, compare-rent.html and
# compare-rent.png. A missing browser or driver is a failure, not a skip: scripts/install-deps installs
# both.
set -euo pipefail
binary=$1 source_dir=$2 out_dir=$3 render_document=$4

fail() {
  echo "FAIL: $*"
  exit 1
}
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing: run scripts/install-deps (Debian package chromium)"
[ -d "$source_dir/web/node_modules/playwright-core" ] ||
  fail "web/node_modules/playwright-core is missing: run scripts/install-deps (npm ci in web/)"
command -v node >/dev/null || fail "node is missing: run scripts/install-deps"

mkdir -p "$out_dir"
rm -f "$out_dir"/compare.html "$out_dir"/compare.txt "$out_dir"/compare.png "$out_dir"/compare-rent.*
"$binary" compare --report "$out_dir/compare.html" >"$out_dir/compare.txt" || fail "xpusim compare --report exited $?"
last=$(tail -n 1 "$out_dir/compare.txt")
[ "$last" = "report: $out_dir/compare.html" ] || fail "the table's last line is '$last', not 'report: $out_dir/compare.html'"
echo "report: $(wc -c <"$out_dir/compare.html") bytes"
node "$source_dir/tests/report/render_test.mjs" "$out_dir/compare.html" "$out_dir/compare.png"
"$render_document" "$source_dir/tests/report/rent-fixture.json" "$out_dir/compare-rent.html" ||
  fail "xpusim_render_document exited $?"
node "$source_dir/tests/report/render_test.mjs" "$out_dir/compare-rent.html" "$out_dir/compare-rent.png"
