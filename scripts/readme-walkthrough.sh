#!/usr/bin/env bash
# Runs the README's walk-throughs exactly as written: takes every ```sh block under a "## Walk-through" heading of
# README.md, writes each walk-through as one script (its blocks verbatim, nothing added but bash's own -eu and
# pipefail, so a failed capture or a failed ./hub verify stops it), and runs it from the repository's root, as a
# reader pasting it would.
#
# Needs a running hub (`./hub start`, in another terminal) and the same LOCAL_* variables (and HUB_DEMO_DIR) as
# that hub; it starts nothing itself, so it is not part of `./hub test`. Node 24 must be on PATH (any ./hub
# command puts it in .cache/toolchain; see docs/conventions.md).
#
#   scripts/readme-walkthrough.sh            # run every walk-through, in README order
#   scripts/readme-walkthrough.sh --print    # only print the scripts it would run
#
# Each walk-through gets 120 s (a loop waiting for a notification that never comes fails instead of hanging).
# Exit status: 0 when every walk-through ran to its end, else that of the first one that did not.
set -euo pipefail
cd "$(dirname "$0")/.."

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# One file per walk-through: walkthrough-<n>.sh, its sh blocks in order.
awk -v out="$out" '
  /^## / { n += (index($0, "## Walk-through") == 1); inside = (index($0, "## Walk-through") == 1) }
  inside && /^```sh$/ { block = 1; file = sprintf("%s/walkthrough-%d.sh", out, n); next }
  block && /^```$/ { block = 0; print "" >> file; next }
  block { print >> file }
' README.md

scripts=("$out"/walkthrough-*.sh)
[ -e "${scripts[0]}" ] || { echo 'readme-walkthrough: no "## Walk-through" section with an sh block in README.md' >&2; exit 1; }

for script in "${scripts[@]}"; do
  title="$(awk -v n="$(basename "$script" .sh | sed 's/walkthrough-//')" '/^## Walk-through/ && ++i == n { print; exit }' README.md)"
  if [ "${1:-}" = --print ]; then
    printf "# %s\n" "${title#\#\# }"
    cat "$script"
    continue
  fi
  printf '\n==== %s\n' "$title"
  status=0
  timeout 120 bash -euo pipefail -x "$script" || status=$?
  if [ "$status" -ne 0 ]; then
    printf '==== FAILED (exit %s): %s\n' "$status" "$title" >&2
    exit "$status"
  fi
  printf '==== ran to its end: %s\n' "$title"
done
