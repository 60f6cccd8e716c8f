#!/usr/bin/env bash
# What the tool reads and writes, end to end: a FIFO or a device as any input is one error line and
# exit 2 at once (it used to block or read forever); `--report ""` is refused; two reports written to
# one path at the same time leave one whole report, never a torn file.
#   files_hardening.sh XPUSIM_BINARY SOURCE_DIR
set -u
binary=$1
cd "$2" || exit 1
export XPUSIM_SPECS=specs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# expect_error EXPECTED_STDERR ARGS...: exit 2 within 10 s and exactly that one line on stderr.
expect_error() {
  local expected=$1; shift
  timeout 10 "$binary" "$@" >"$work/out" 2>"$work/err" </dev/null
  local code=$?
  [ "$code" = 2 ] || fail "xpusim $* exited $code, expected 2: $(cat "$work/err")"
  [ "$(cat "$work/err")" = "$expected" ] || fail "xpusim $*: stderr was '$(cat "$work/err")', expected '$expected'"
  echo "ok: xpusim $*"
}

mkfifo "$work/fifo.yaml"
expect_error "xpusim: $work/fifo.yaml: error: is a FIFO, not a regular file: a cases file must be one" \
  validate --cases "$work/fifo.yaml"
expect_error "$work/fifo.yaml: error: is a FIFO, not a regular file: a spec file must be one" \
  llm serve --model "$work/fifo.yaml" --chip h100-sxm
expect_error "$work/fifo.yaml: error: is a FIFO, not a regular file: a spec file must be one" \
  cost --chip "$work/fifo.yaml"
expect_error "$work/fifo.yaml: error: is a FIFO, not a regular file: a spec file must be one" \
  compare --systems "$work/fifo.yaml"
expect_error "xpusim: error: --report: give a file name, or - for standard output (run 'xpusim --help' for usage)" \
  compare --report ""

# A spec file over the 1 MiB cap is refused before YAML parsing, so memory stays bounded.
{ echo "kind: chip"; echo "name: huge"; echo "list:"; for _ in $(seq 1 30000); do echo "  - 12345678901234567890123456789012"; done; } >"$work/huge.yaml"
expect_error "$work/huge.yaml: error: is larger than 1 MiB: not a spec file (the limit keeps memory bounded)" \
  specs check "$work/huge.yaml"

"$binary" compare --report "$work/one.html" >/dev/null || fail "compare --report failed"
# Two reports to one path at once: each is written to its own temporary file and renamed, so the file
# is always one whole page.
"$binary" compare --report "$work/r.html" >/dev/null &
"$binary" compare --report "$work/r.html" >/dev/null &
wait
cmp -s "$work/r.html" "$work/one.html" || fail "the report is not one whole page"
[ "$(grep -c '<!DOCTYPE html>' "$work/r.html")" = 1 ] || fail "the report holds more than one page"
[ "$(find "$work" -name '.r.html.*' | wc -l)" = 0 ] || fail "a temporary file was left behind"
echo "ok: two concurrent reports leave one whole file"

# `--report -` writes the page to standard output and nothing else.
"$binary" compare --report - >"$work/stdout.html" || fail "compare --report - failed"
[ "$(head -c 15 "$work/stdout.html")" = "<!DOCTYPE html>" ] || fail "--report - did not write the page to stdout"
[ ! -e ./- ] || fail "--report - wrote a file named -"
echo "ok: --report - writes the page to stdout"
