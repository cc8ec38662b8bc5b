# syntax=docker/dockerfile:1
# Gatehouse: `docker build -t gatehouse . && docker run -p 8000:8000 -v gatehouse-data:/data gatehouse`

# --- build: compile TypeScript and the demo page with the dev dependencies ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own "prepare" would build before the sources are copied.
RUN npm ci --ignore-scripts && npm rebuild esbuild
COPY . .
RUN npx tsc -p tsconfig.json && node web/build.mjs

# --- runtime: production dependencies only, compiled output, non-root ---
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    GATEHOUSE_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
# No "prepare" (tsc is a dev dependency); better-sqlite3 still fetches or builds its native addon.
RUN npm ci --omit=dev --ignore-scripts && npm rebuild better-sqlite3 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8000
# The primary runs migrations, then forks GATEHOUSE_WORKERS workers (default: CPUs).
# docker stop sends SIGTERM: in-flight requests finish, then it exits 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/cli/main.js", "serve"]
