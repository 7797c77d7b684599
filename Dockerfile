# syntax=docker/dockerfile:1
# Multi-stage build: compile with dev dependencies, ship only the runtime ones, run as non-root.
# Node 24 LTS, pinned (the version .nvmrc and CI use).
FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The same install-script policy as CI (package.json "allowScripts"), whatever the npm in the
# image: the only scripts it allows are esbuild's, for the development tool tsx, which this build
# does not use, so none runs. better-sqlite3 ships its native binaries (N-API) in the package.
RUN npm ci --ignore-scripts --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

# For a trial only (deploy/docker-compose.yml, `target: simulator`): the Microsoft simulator with
# the sandbox's university, HTTPS on 127.0.0.1:8443, its CA written to /ca for the instances.
FROM deps AS simulator
COPY tsconfig.json tsconfig.tools.json ./
COPY tools ./tools
RUN npm run build:tools && mkdir -p /ca && chown node:node /ca
USER node
CMD ["node", "dist-tools/microsoft-simulator/main.js", "--host", "127.0.0.1", "--port", "8443", "--ca-file", "/ca/simulator-ca.pem"]

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATABASE_URL=sqlite:/data/teams-meetings.db
WORKDIR /app
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json openapi.yaml ./
COPY --chown=root:root assets ./assets
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD node -e "require('http').get({host:'127.0.0.1',port:process.env.PORT||3000,path:'/health',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
# SIGTERM reaches node directly (exec form): /health answers 503 for SHUTDOWN_GRACE_MS, then it
# drains requests in flight and exits 0. --max-semi-space-size=8: V8's young generation stops at
# 16 MB instead of growing to 128 MB under load: about 110 MB less RSS, no measurable CPU
# (docs/BENCHMARKS.md). npm start, the manifests and the benchmark start it the same way.
CMD ["node", "--max-semi-space-size=8", "dist/main.js"]
