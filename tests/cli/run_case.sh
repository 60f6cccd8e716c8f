#!/usr/bin/env bash
# Runs one CLI case and compares everything it did (exit code, stdout, stderr) with a golden file.
#   run_case.sh XPUSIM_BINARY SOURCE_DIR GOLDEN_FILE ARGS...
# Runs from SOURCE_DIR with XPUSIM_SPECS=specs, so paths in the output are short and stable.
# With XPUSIM_UPDATE_GOLDEN=1 it rewrites the golden file instead of comparing (review the diff).
set -u
binary=$1 source_dir=$2 golden=$3
shift 3

cd "$source_dir" || exit 1
actual=$(mktemp)
trap 'rm -f "$actual" "$actual.out" "$actual.err"' EXIT

XPUSIM_SPECS=specs "$binary" "$@" >"$actual.out" 2>"$actual.err" </dev/null
code=$?
{
  echo "\$ xpusim $*"
  echo "[exit $code]"
  echo "--- stdout"
  cat "$actual.out"
  echo "--- stderr"
  cat "$actual.err"
} >"$actual"

# A sanitizer report or a crash is never an expected outcome.
if [ "$code" -ge 126 ] || grep -q "Sanitizer\|runtime error:" "$actual.err"; then
  cat "$actual"
  echo "FAIL: crashed or sanitizer report (exit $code)"
  exit 1
fi

if [ -n "${XPUSIM_EXPECT_EXIT:-}" ] && [ "$code" != "$XPUSIM_EXPECT_EXIT" ]; then
  cat "$actual"
  echo "FAIL: exit $code, expected $XPUSIM_EXPECT_EXIT"
  exit 1
fi

if [ "${XPUSIM_UPDATE_GOLDEN:-0}" = 1 ]; then
  cp "$actual" "$golden"
  echo "updated $golden"
  exit 0
fi
if [ ! -f "$golden" ]; then
  cat "$actual"
  echo "FAIL: no golden file $golden (run scripts/update-golden)"
  exit 1
fi
if ! diff -u "$golden" "$actual"; then
  echo "FAIL: output differs from $golden"
  exit 1
fi
