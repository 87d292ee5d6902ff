# syntax=docker/dockerfile:1
# The Hertz gateway (REST API over the four services) and the seed command
# that loads the demo catalog. Build from the repository root:
#
#   docker build -f deploy/docker/gateway.Dockerfile -t kitemall/gateway:dev .
#
# (`make images` builds every image). The binaries are the ones `make build`
# builds, in workspace mode (go.work); CGO is off so they run on distroless.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    cd gateway && go build -trimpath -o /out/gateway . && go build -trimpath -o /out/seed ./cmd/seed
RUN --mount=type=cache,target=/root/.cache/go-build \
    cd deploy/docker/probe && GOWORK=off go build -trimpath -o /out/probe .

# distroless/static: no shell, no package manager, CA certificates and tzdata
# only; the nonroot tag runs as uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/gateway /out/seed /out/probe /usr/local/bin/
USER 65532:65532
# No config file is baked in (it would carry the local JWT secret): the
# defaults plus these variables start it once JWT_SECRET is set, and
# Compose/Kubernetes mount a config file at CONFIG_FILE. /metrics is served
# on the API port.
ENV LISTEN_ADDR=:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/probe", "http", "/healthz"]
ENTRYPOINT ["/usr/local/bin/gateway"]
