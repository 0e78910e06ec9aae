# syntax=docker/dockerfile:1
# WhatsAppB24 as a container image: docs/deploy.md (how to build, run and operate it).
# Three stages: `build` bundles the server (dist/server.mjs) with every dependency installed, `deps`
# installs the production dependencies only, the last stage runs the bundle as the unprivileged `node`.
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.ts scripts/
COPY src src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY package.json tsconfig.json ./
COPY migrations migrations
COPY views views
# The pages' browser script is bundled from src/modules/pages/ui by esbuild (a production dependency)
# when the server starts: the sources come along, nothing is built at run time but that.
COPY src src
COPY --from=build /app/dist dist
# Local media (when no MEDIA_S3_BUCKET is set) and an embedded database live under DATA_DIR; a volume
# mounted there starts out owned by `node`.
RUN mkdir -p /data/media && chown -R node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "--max-semi-space-size=8", "--heap-growing-percent=50", "dist/server.mjs"]
