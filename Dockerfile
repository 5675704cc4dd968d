# The orchestrator image, on Node 24 (active LTS): the skald-orchestrator program installed from the
# packed packages, as a team installs it, plus the demo. Build: docker build -t skald .
# (docker-compose.yml builds it for you). Your own saga modules: docs/operations.md#container-image
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.packages.json tsconfig.build.json ./
COPY libs libs
COPY apps apps
COPY migrations migrations
RUN npm ci
# npm pack builds each package (prepack) and the demo is built beside them
RUN npm run build && npm run pack:packages

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /opt/skald
COPY --from=build /app/dist/packages /tmp/packages
RUN npm install --omit=dev --no-audit --no-fund /tmp/packages/*.tgz && rm -rf /tmp/packages ~/.npm
# the demo's participants and saga, resolving @skald/* from /opt/skald/node_modules
COPY --from=build /app/apps/demo/dist demo
ENV PATH=/opt/skald/node_modules/.bin:$PATH
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["skald-orchestrator"]
