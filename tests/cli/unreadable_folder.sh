#!/usr/bin/env bash
# A library or --specs folder with an entry that cannot be read (a link to itself: unreadable even for
# root) is an error naming it, in every command, not a scan that ends silently with fewer specs.
#   unreadable_folder.sh XPUSIM_BINARY SOURCE_DIR
set -uo pipefail
binary=$1
source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lib/chips" "$work/mine"
cp "$source_dir/specs/chips/h100-sxm.yaml" "$work/lib/chips/"
ln -s loop "$work/lib/loop"
ln -s loop "$work/mine/loop"
failed=0
expect() {  # expect EXIT_CODE TEXT_IN_STDERR_OR_STDOUT ARGS...
  local code=$1 text=$2
  shift 2
  local out status
  out=$(cd "$work" && "$binary" "$@" 2>&1)
  status=$?
  if [ "$status" != "$code" ] || [[ "$out" != *"$text"* ]]; then
    echo "FAIL: xpusim $* -> exit $status, expected $code and '$text'; output:"
    echo "$out"
    failed=1
  fi
}
XPUSIM_SPECS=lib expect 2 "lib/loop: error: cannot read: Too many levels of symbolic links" specs list
XPUSIM_SPECS=lib expect 2 "checked 1 spec: 1 error" specs check
XPUSIM_SPECS=lib expect 2 "lib/loop: error: cannot read" cost --chip h100-sxm
rm "$work/lib/loop"
XPUSIM_SPECS=lib expect 0 "h100-sxm" specs list
XPUSIM_SPECS=lib expect 2 "mine/loop: error: cannot read: Too many levels of symbolic links" specs list --specs mine
exit $failed
