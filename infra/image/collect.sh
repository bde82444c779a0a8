#!/bin/sh
# Used by the Dockerfile's build stages: installs the production closure of one workspace selection and copies what
# it needs to run into an output directory, so the runtime image holds that and nothing else.
#
#   infra/image/collect.sh <out dir> <pnpm selector>      e.g. infra/image/collect.sh /out '{./services/hub}...'
#
# Offline: every package must already be in pnpm's store (the Dockerfile's `pnpm fetch`); PNPM_STORE_DIR names it.
#
# --filter-prod, not --filter: `...` under --filter also follows devDependencies, which would select @hub/testkit
# and install its dependency on vitest. The workspace packages stay where they are (services/*, packages/*, ...),
# linked from node_modules: Node strips TypeScript types only outside node_modules, which rules out `pnpm deploy`
# (it copies them into node_modules).
set -eu
out="$1"
selector="$2"

pnpm install --frozen-lockfile --prod --offline --filter-prod "$selector" ${PNPM_STORE_DIR:+--store-dir "$PNPM_STORE_DIR"}
# The selected projects' directories, relative to the workspace root.
projects="$(pnpm list --prod --depth -1 --json --filter-prod "$selector" |
  node -e 'for (const p of JSON.parse(require("fs").readFileSync(0, "utf8"))) console.log(require("path").relative(process.cwd(), p.path))')"
mkdir -p "$out"
# infra/seed: the synthetic directory, @hub/directory's default files (the compose stack uses them).
# shellcheck disable=SC2086 # one word per project directory
tar -c package.json node_modules infra/seed $projects | tar -x -C "$out"
