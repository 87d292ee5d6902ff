# syntax=docker/dockerfile:1
# The order service (orders, priced and reserved at the product service).
# Build from the repository root:
#
#   docker build -f deploy/docker/order.Dockerfile -t kitemall/order:dev .
#
# (`make images` builds every image). The binary is the one `make build`
# builds: package ./order of the rpc module, in workspace mode (go.work), so it
# links the same module versions; CGO is off so it runs on a distroless base.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    cd rpc && go build -trimpath -o /out/order ./order
RUN --mount=type=cache,target=/root/.cache/go-build \
    cd deploy/docker/probe && GOWORK=off go build -trimpath -o /out/probe .

# distroless/static: no shell, no package manager, CA certificates and tzdata
# only; the nonroot tag runs as uid/gid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/order /out/probe /usr/local/bin/
USER 65532:65532
# No config file is baked in: Compose and Kubernetes mount one at CONFIG_FILE
# and override addresses through the environment (LISTEN_ADDR, MYSQL_ADDR,
# ...). An unspecified listen host makes the etcd registry announce the
# container's own IPv4 address.
ENV LISTEN_ADDR=:8883 METRICS_ADDR=:9183
# 8883: Kitex RPC (mux or pool, KITEX_TRANSPORT); 9183: Prometheus /metrics.
EXPOSE 8883 9183
# The service has no HTTP health endpoint: a TCP connect to the RPC port is
# the honest check (Kubernetes uses the same one).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/probe", "tcp"]
ENTRYPOINT ["/usr/local/bin/order"]
