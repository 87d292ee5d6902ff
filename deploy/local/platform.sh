#!/usr/bin/env bash
# Starts and stops the platform's own processes (the four Kitex services and
# the Hertz gateway) on 127.0.0.1, from the binaries `make build` puts in bin/.
# The dependencies (etcd, MariaDB, Redis, RocketMQ) are deploy/local/stack.sh's job.
#
#   deploy/local/platform.sh up|down|status
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
RUN_DIR=${PLATFORM_DIR:-$REPO/.run/platform}
BIN=$REPO/bin
GATEWAY=${GATEWAY_ADDR:-127.0.0.1:8080}
SERVICES=(user product order payment)
declare -A PORTS=([user]=8881 [product]=8882 [order]=8883 [payment]=8884)

log() { printf '%s\n' "$*" >&2; }
die() { printf 'platform: error: %s\n' "$*" >&2; exit 1; }

pid_of() {
  local f=$RUN_DIR/$1.pid pid
  [[ -f $f ]] || return 1
  pid=$(<"$f")
  [[ -d /proc/$pid ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$BIN/$1" && echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null; }

wait_for() { # name, check command..., within 60 s
  local name=$1; shift
  for _ in $(seq 1 300); do
    "$@" && return 0
    pid_of "$name" >/dev/null || { tail -20 "$RUN_DIR/$name.log" >&2; die "$name exited during start (log: $RUN_DIR/$name.log)"; }
    sleep 0.2
  done
  tail -20 "$RUN_DIR/$name.log" >&2
  die "$name did not become ready in 60 s (log: $RUN_DIR/$name.log)"
}

start() { # name, config file
  local name=$1 conf=$2
  if pid=$(pid_of "$name"); then log "$name already running (pid $pid)"; return; fi
  [[ -x $BIN/$name ]] || die "$BIN/$name missing: run make build"
  CONFIG_FILE=$conf setsid "$BIN/$name" >>"$RUN_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
}

cmd_up() {
  mkdir -p "$RUN_DIR"
  for s in "${SERVICES[@]}"; do
    start "$s" "$REPO/rpc/$s/conf/$s.yaml"
    wait_for "$s" port_open "127.0.0.1:${PORTS[$s]}"
    log "$(printf '%-8s up   127.0.0.1:%-6s log %s' "$s" "${PORTS[$s]}" "$RUN_DIR/$s.log")"
  done
  start gateway "$REPO/gateway/conf/gateway.yaml"
  wait_for gateway curl -fs -o /dev/null --max-time 1 "http://$GATEWAY/readyz"
  log "$(printf '%-8s up   http://%s   log %s' gateway "$GATEWAY" "$RUN_DIR/gateway.log")"
  "$BIN/seed" -config "$REPO/gateway/conf/gateway.yaml" >>"$RUN_DIR/seed.log" 2>&1 || { tail -20 "$RUN_DIR/seed.log" >&2; die "seeding the demo catalog failed"; }
  cat <<MSG

The platform is up. The REST API is at http://$GATEWAY/api/v1 (docs: http://$GATEWAY/docs).
Try (the README has the whole session):
  curl -s 'http://$GATEWAY/api/v1/products?page_size=3'
  curl -s -XPOST http://$GATEWAY/api/v1/users/register -d '{"username":"alice","password":"correct-horse"}'
  TOKEN=\$(curl -s -XPOST http://$GATEWAY/api/v1/users/login -d '{"username":"alice","password":"correct-horse"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
  curl -s -XPOST http://$GATEWAY/api/v1/orders -H "Authorization: Bearer \$TOKEN" -H 'Idempotency-Key: first-order' \\
       -d '{"items":[{"product_id":1,"quantity":2}]}'
Stop everything with: make stop
MSG
}

cmd_down() {
  local name pid
  for name in gateway "${SERVICES[@]}"; do
    pid=$(pid_of "$name") || { rm -f "$RUN_DIR/$name.pid"; continue; }
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
    [[ -d /proc/$pid ]] && kill -KILL "$pid" 2>/dev/null || true
    rm -f "$RUN_DIR/$name.pid"
    log "$name stopped"
  done
}

cmd_status() {
  local name pid
  for name in "${SERVICES[@]}" gateway; do
    if pid=$(pid_of "$name"); then printf '%-8s up    pid %s\n' "$name" "$pid"; else printf '%-8s down\n' "$name"; fi
  done
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) die "usage: $0 up|down|status" ;;
esac
