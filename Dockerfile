# syntax=docker/dockerfile:1
# The service image: built in one stage, run from a second that holds production dependencies only.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` (the build) needs the sources, copied next.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim AS production
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no install script of a dependency runs in the image that serves traffic.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Read at run time (served at /storefront.js), beside dist/ as in the repository.
COPY --from=build /app/src/storefront ./src/storefront
# Files stay owned by root: the process can read its code, not change it.
USER node
EXPOSE 3000
# node, not curl: the slim image has no curl, and one fewer tool for an intruder.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The node process itself gets SIGTERM (no npm or shell in between) and shuts down gracefully.
CMD ["node", "dist/src/server.js"]
