# syntax=docker/dockerfile:1
#
# One image recipe for every hub service. SERVICE picks services/$SERVICE/src/main.ts:
#   docker build --build-arg SERVICE=hub -t safeguarding-hub/hub .
# There is no build step: Node 24 strips TypeScript types at load time, so the image runs the sources as they are.

ARG NODE_IMAGE=node:24-slim

# --- deps: production node_modules for the whole workspace -------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
ENV NODE_ENV=production \
    COREPACK_ENABLE_DOWNLOAD_PROMPT=0
WORKDIR /app
# pnpm at exactly the version package.json pins in "packageManager"; corepack reads it from there.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# The lockfile records a patch (patches/kafkajs@2.2.4.patch); pnpm needs the file to resolve the patched package.
COPY patches ./patches
RUN corepack enable && corepack install
# Download the locked packages from the lockfile alone, so this layer is reused until the lockfile changes.
RUN --mount=type=cache,id=hub-pnpm-store,target=/pnpm/store \
    pnpm fetch --prod --store-dir /pnpm/store
COPY . .
# Links every workspace package (services reach @hub/* through these symlinks) and only production dependencies.
RUN --mount=type=cache,id=hub-pnpm-store,target=/pnpm/store \
    pnpm install --frozen-lockfile --prod --offline --store-dir /pnpm/store

# --- runtime: no pnpm, no compiler, not root -----------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the `node` user that runs the service.
COPY --from=deps /app /app
# Fail the build, not the container, when SERVICE is missing or names no service. The entry point is a symlink:
# Node resolves it to services/$SERVICE/src/main.ts, so relative imports and type stripping work as in development.
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<directory under services/>" >&2; exit 1; } \
 && test -f "services/${SERVICE}/src/main.ts" \
 && ln -s "services/${SERVICE}/src/main.ts" /app/main.ts
USER node
EXPOSE 8080
CMD ["node", "main.ts"]
