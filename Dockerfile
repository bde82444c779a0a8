# syntax=docker/dockerfile:1
#
# The production image of one hub service (default: the whole hub), and the demo's one-shot set-up:
#   docker build -t safeguarding-hub/hub:0.1.0 .                               # target `runtime`, the hub
#   docker build --build-arg SERVICE=inbox -t safeguarding-hub/inbox:0.1.0 .  # one service, services/inbox
#   docker build --target demo -t safeguarding-hub/demo-setup:local .        # the demo clients (docker-compose.yml)
# There is no compile step: Node 24 strips TypeScript types at load time, so the image runs the sources as they are.
# Only the production dependencies of what runs are installed (infra/image/collect.sh): no vitest, vite, esbuild,
# typescript or @types, which test/infra/image.test.ts checks against the lockfile.

# The Node version of .nvmrc, on Debian slim.
ARG NODE_IMAGE=node:24.21.0-slim

# --- workspace: the sources and the locked packages in pnpm's store, nothing installed yet ---------------------------
FROM ${NODE_IMAGE} AS workspace
ENV COREPACK_ENABLE_DOWNLOAD_PROMPT=0 \
    CI=true \
    PNPM_STORE_DIR=/pnpm/store
WORKDIR /app
# pnpm at exactly the version package.json pins in "packageManager"; corepack reads it from there.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# The lockfile records a patch (patches/kafkajs@2.2.4.patch); pnpm needs the file to resolve the patched package.
COPY patches ./patches
RUN corepack enable && corepack install
# Downloads the locked packages from the lockfile alone, so this layer is reused until the lockfile changes.
RUN --mount=type=cache,id=hub-pnpm-store,target=/pnpm/store \
    pnpm fetch --prod --store-dir "$PNPM_STORE_DIR"
COPY . .

# --- build: one service's production closure, collected into /out -----------------------------------------------------
FROM workspace AS build
# A directory under services/.
ARG SERVICE=hub
RUN test -f "services/${SERVICE}/src/main.ts" || { echo "SERVICE must name a directory under services/" >&2; exit 1; }
RUN --mount=type=cache,id=hub-pnpm-store,target=/pnpm/store \
    sh infra/image/collect.sh /out "{./services/${SERVICE}}..." \
 && ln -s "services/${SERVICE}/src/main.ts" /out/main.ts

# --- console-ui: the IG console's browser assets (services/console/ui), built with its development tools (vite) -----
# Only the built dist/ goes on into the runtime; vite, Chart.js's sources and the rest stay in this stage.
FROM workspace AS console-ui
RUN --mount=type=cache,id=hub-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --store-dir "$PNPM_STORE_DIR" \
 && pnpm run console:build

# --- demo-build: the demo set-up's production closure (infra/demo) -----------------------------------------------------
FROM workspace AS demo-build
RUN --mount=type=cache,id=hub-pnpm-store,target=/pnpm/store \
    sh infra/image/collect.sh /out "@hub/demo..."

# --- demo: writes the demo clients' keys, their registry and the hub's env into $HUB_DEMO_DIR ------------------------
FROM ${NODE_IMAGE} AS demo
ENV NODE_ENV=production
WORKDIR /app
COPY --from=demo-build /out /app
USER node
CMD ["node", "infra/demo/src/setup.ts"]

# --- runtime (the default target): no pnpm, no compiler, not root -----------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# A container's loopback is its own: listen on every interface (the hub's default is 127.0.0.1).
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0
WORKDIR /app
# Owned by root and read-only for the `node` user (uid 1000) that runs the service. The entry point is a symlink:
# Node resolves it to services/$SERVICE/src/main.ts, so relative imports and type stripping work as in development.
COPY --from=build /out /app
# The console's page and scripts, served at /console by the hub (and by services/console alone); inert elsewhere.
COPY --from=console-ui /app/services/console/ui/dist /app/services/console/ui/dist
USER node
EXPOSE 8080
# Ready, not merely alive: Kafka, Redis and the views answer (packages/http/src/health.ts). Node's fetch, since the
# slim image has no curl. Kubernetes ignores this and uses its own probes (infra/k8s).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/health/ready', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "main.ts"]
