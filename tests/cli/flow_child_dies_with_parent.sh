#!/usr/bin/env bash
# The SimGrid child of `--net-model flow` must die with its parent, whatever signal kills the parent
# (INT, TERM, HUP, KILL). Runs a flow simulation that takes over a minute (the expert all-to-all of
# deepseek-v3 with ep 128 on 512 DGX H100 nodes), waits until one child has run for 2 s, kills the
# parent, and checks the child is gone within 5 s.
#   flow_child_dies_with_parent.sh XPUSIM_BINARY SOURCE_DIR
set -u
binary=$1
cd "$2" || exit 1
export XPUSIM_SPECS=specs
set -m  # background jobs keep SIGINT (a non-interactive shell would start them ignoring it)

alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]; }

for signal in INT TERM HUP KILL; do
  "$binary" llm train --model deepseek-v3 --system dgx-h100 --nodes 512 --ep 128 --pp 16 --net-model flow \
    >/dev/null 2>&1 &
  parent=$!
  child="" since=0
  for _ in $(seq 1 600); do  # up to 120 s for a child that lives 2 s
    current=$(pgrep -P "$parent" | head -n 1)
    if [ -n "$current" ] && [ "$current" = "$child" ]; then
      [ $((SECONDS - since)) -ge 2 ] && break
    else
      child=$current since=$SECONDS
    fi
    sleep 0.2
  done
  if [ -z "$child" ] || ! alive "$child"; then
    echo "FAIL ($signal): no long-running flow child appeared"; kill -KILL "$parent" 2>/dev/null; exit 1
  fi
  kill -"$signal" "$parent"
  wait "$parent" 2>/dev/null
  for _ in $(seq 1 25); do alive "$child" || break; sleep 0.2; done
  if alive "$child"; then
    echo "FAIL ($signal): the flow child $child outlived its parent"; kill -KILL "$child"; exit 1
  fi
  echo "ok: SIG$signal to the parent, its flow child ended too"
done
