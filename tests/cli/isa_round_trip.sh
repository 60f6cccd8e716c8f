#!/usr/bin/env bash
# `xpusim asm` and `xpusim disasm` through files: the example assembles to the committed golden .xbin,
# its disassembly assembles back to the same bytes, and disassembling that gives the same text.
#   isa_round_trip.sh XPUSIM_BINARY SOURCE_DIR
set -euo pipefail
binary=$1 source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$source_dir"
"$binary" asm examples/isa/matmul-gelu.s -o "$work/a.xbin" >/dev/null
cmp "$work/a.xbin" tests/golden/inputs/matmul-gelu.xbin
"$binary" disasm "$work/a.xbin" -o "$work/a.s"
"$binary" asm "$work/a.s" -o "$work/b.xbin" >/dev/null
cmp "$work/a.xbin" "$work/b.xbin"
"$binary" disasm "$work/b.xbin" >"$work/b.s"
cmp "$work/a.s" "$work/b.s"
# Every opcode at its extremes: the committed text is canonical (less its comments) and assembles to
# the committed .xbin.
"$binary" asm tests/golden/inputs/every-opcode.s -o "$work/e.xbin" >/dev/null
cmp "$work/e.xbin" tests/golden/inputs/every-opcode.xbin
"$binary" disasm "$work/e.xbin" | cmp - <(grep -v '^#' tests/golden/inputs/every-opcode.s)
# An output that cannot be written is one line and exit 2, and leaves nothing behind.
if "$binary" asm examples/isa/matmul-gelu.s -o "$work/no-such-dir/a.xbin" 2>"$work/err"; then
  echo "FAIL: writing into a missing folder succeeded"; exit 1
fi
[ "$(wc -l <"$work/err")" = 1 ] || { cat "$work/err"; echo "FAIL: expected one error line"; exit 1; }
echo "round trip ok"
