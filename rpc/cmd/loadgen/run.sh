#!/usr/bin/env bash
# Starts a private copy of the whole platform (the four services and the
# gateway from freshly built binaries with their shipped conf files, on their
# own ports, etcd namespace, databases, Redis prefix and their own RocketMQ
# name server + broker) beside whatever else runs on the machine, runs
# loadgen against it with the given flags, and tears it all down again.
# It never touches `make run`'s processes, ports, databases or broker.
#
#   rpc/cmd/loadgen/run.sh [loadgen flags...]    e.g. -n 1000 -warmup 300 -c 32 -fault broker-restart
#
# Needs the local stack's etcd, MariaDB and Redis (deploy/local/stack.sh up).
# KEEP=1 leaves the databases and logs for inspection; PAYMENT_WINDOW (default
# 20s) is the services' payment window; KITEX_TRANSPORT (mux or pool) their
# connection model; LOADGEN_DIR sets the run dir.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
RUN=lg$(date +%s)
DIR=${LOADGEN_DIR:-$REPO/.run/loadgen/$RUN}
BIN=$DIR/bin
WINDOW=${PAYMENT_WINDOW:-20s}
ADMIN=lgadmin_$RUN
TRANSPORT=${KITEX_TRANSPORT:-mux}
mkdir -p "$BIN" "$DIR/logs"

log() { printf 'run.sh: %s\n' "$*" >&2; }

# Ports below the ephemeral range (so a restarted process finds its port
# free), one band per process so they cannot collide with each other.
R=$((RANDOM % 990))
free_port() { local p=$1; while ss -Hltn "sport = :$p" | grep -q .; do p=$((p + 1)); done; echo "$p"; }
NS_PORT=$(free_port $((21000 + R)))
BROKER_PORT=$((27002 + R)) # the broker also takes port-2 and port+1
declare -A ADDR=([user]=127.0.0.1:$(free_port $((22000 + R))) [product]=127.0.0.1:$(free_port $((23000 + R)))
  [order]=127.0.0.1:$(free_port $((24000 + R))) [payment]=127.0.0.1:$(free_port $((25000 + R)))
  [gateway]=127.0.0.1:$(free_port $((26000 + R))))
declare -A METRICS=([user]=127.0.0.1:$(free_port $((22500 + R))) [product]=127.0.0.1:$(free_port $((23500 + R)))
  [order]=127.0.0.1:$(free_port $((24500 + R))) [payment]=127.0.0.1:$(free_port $((25500 + R))))

export STACK_DIR=$DIR/stack STACK_NAMESRV_PORT=$NS_PORT STACK_BROKER_PORT=$BROKER_PORT
MAIN_LIB=$REPO/.run/stack/rocketmq/lib
[[ -f $MAIN_LIB/.complete-5.3.3 ]] && export STACK_RMQ_LIB=$MAIN_LIB

cleanup() {
  local f pid
  for f in "$DIR"/*.pid; do
    [[ -f $f ]] || continue
    pid=$(<"$f")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  bash "$REPO/deploy/local/stack.sh" down --kill --purge namesrv broker >/dev/null 2>&1 || true
  if [[ -z ${KEEP:-} ]]; then
    for s in user product order payment; do
      mariadb --no-defaults -h127.0.0.1 -uplatform -pplatform -e "DROP DATABASE IF EXISTS ${RUN}_$s" 2>/dev/null || true
    done
    rm -rf "$DIR"
  else
    log "kept $DIR and the databases ${RUN}_*"
  fi
}
trap cleanup EXIT

log "building the services, the gateway and loadgen into $BIN"
(cd "$REPO/rpc" && go build -o "$BIN/" ./user ./product ./order ./payment ./cmd/loadgen)
(cd "$REPO/gateway" && go build -o "$BIN/gateway" .)

log "starting a private RocketMQ (name server :$NS_PORT, broker :$BROKER_PORT)"
bash "$REPO/deploy/local/stack.sh" up namesrv broker >"$DIR/logs/stack.log" 2>&1 ||
  { cat "$DIR/logs/stack.log" >&2; exit 1; }

common=(ETCD_ENDPOINTS=127.0.0.1:2379 "SERVICE_NAMESPACE=$RUN" "KITEX_TRANSPORT=$TRANSPORT"
  MYSQL_ADDR=127.0.0.1:3306 REDIS_ADDR=127.0.0.1:6379 "ROCKETMQ_NAMESRV=127.0.0.1:$NS_PORT"
  "ROCKETMQ_BROKER=127.0.0.1:$BROKER_PORT" "PAYMENT_WINDOW=$WINDOW" LOG_LEVEL=warn
  ROCKETMQ_GO_LOG_LEVEL=error OTEL_EXPORTER_OTLP_ENDPOINT=)

start() { # name, env...
  local name=$1; shift
  env "${common[@]}" "$@" setsid "$BIN/$name" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/$name.pid"
}
wait_port() { # name addr
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/${2%:*}/${2#*:}") 2>/dev/null && return 0
    kill -0 "$(<"$DIR/$1.pid")" 2>/dev/null || { tail -20 "$DIR/logs/$1.log" >&2; exit 1; }
    sleep 0.2
  done
  log "$1 did not listen on $2"; exit 1
}
service_env() { # name
  echo "CONFIG_FILE=$REPO/rpc/$1/conf/$1.yaml LISTEN_ADDR=${ADDR[$1]} METRICS_ADDR=${METRICS[$1]}
    MYSQL_DATABASE=${RUN}_$1 REDIS_KEY_PREFIX=$RUN:$1: BCRYPT_COST=4"
}
for s in user product order payment; do
  # shellcheck disable=SC2046 # word splitting of the env list is intended
  start "$s" $(service_env "$s")
  wait_port "$s" "${ADDR[$s]}"
done
# The order service's restart command for -fault order-kill.
ORDER_RESTART="env ${common[*]} $(service_env order | tr '\n' ' ') setsid $BIN/order >>$DIR/logs/order.log 2>&1 </dev/null & echo \$! >$DIR/order.pid"

# The shipped gateway config with rate limits above the load (one client IP).
sed -e 's/per_ip: {rps: [0-9]*, burst: [0-9]*}/per_ip: {rps: 100000, burst: 100000}/' \
    -e 's/per_user: {rps: [0-9]*, burst: [0-9]*}/per_user: {rps: 100000, burst: 100000}/' \
    "$REPO/gateway/conf/gateway.yaml" >"$DIR/gateway.yaml"
start gateway CONFIG_FILE="$DIR/gateway.yaml" LISTEN_ADDR="${ADDR[gateway]}" ADMIN_USERNAMES="$ADMIN" \
  JWT_SECRET="loadgen-secret-$RUN-0123456789abcdef"
ready=
for _ in $(seq 1 300); do
  if curl -fs -o /dev/null --max-time 1 "http://${ADDR[gateway]}/readyz" 2>/dev/null; then ready=1; break; fi
  sleep 0.2
done
[[ -n $ready ]] || { tail -20 "$DIR/logs/gateway.log" >&2; log "the gateway never became ready"; exit 1; }
log "platform $RUN up: gateway http://${ADDR[gateway]}, logs in $DIR/logs"

# What the orders phase is broken down over: the CPU of every process on
# the order path (MariaDB and Redis are the shared stack's, so other users'
# load counts there too) and each service's server-side latency.
# Pid files are followed across restarts (-fault order-kill, broker-restart).
pids=loadgen=self
for s in user product order payment gateway; do pids+=",$s=@$DIR/$s.pid"; done
for c in broker namesrv; do pids+=",$c=@$STACK_DIR/pids/$c.pid"; done
for c in mariadb redis; do
  f=$REPO/.run/stack/pids/$c.pid
  [[ -f $f ]] && pids+=",$c=$(<"$f")"
done
metrics=
for s in user product order payment; do metrics+="${metrics:+,}$s=http://${METRICS[$s]}/metrics"; done

"$BIN/loadgen" -gateway "http://${ADDR[gateway]}" -admin-user "$ADMIN" -run "$RUN" -cpu "$pids" -metrics "$metrics" \
  -product-db "${RUN}_product" -order-db "${RUN}_order" -payment-db "${RUN}_payment" \
  -payment-window "$WINDOW" -stack-script "$REPO/deploy/local/stack.sh" \
  -order-pidfile "$DIR/order.pid" -order-restart "$ORDER_RESTART" "$@"
