#!/usr/bin/env bash
# Local dev/test stack without Docker: etcd, MariaDB, Redis, RocketMQ name server + broker,
# each a plain background process on 127.0.0.1 with its data, logs and pid under $STACK_DIR.
#
#   deploy/local/stack.sh install|up|down [--purge] [--kill]|status|restart [--kill]|logs [component...]
#   deploy/local/stack.sh env | topic <name> [queues] | mqadmin <args...>
#
# Components: etcd mariadb redis namesrv broker (default all; started in that order,
# stopped in reverse). Only processes this script started (recorded pids) are ever stopped.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
STACK_DIR=${STACK_DIR:-$REPO/.run/stack}

HOST=127.0.0.1
ETCD_PORT=${STACK_ETCD_PORT:-2379}
ETCD_PEER_PORT=${STACK_ETCD_PEER_PORT:-2380}
MYSQL_PORT=${STACK_MYSQL_PORT:-3306}
REDIS_PORT=${STACK_REDIS_PORT:-6379}
NAMESRV_PORT=${STACK_NAMESRV_PORT:-9876}
BROKER_PORT=${STACK_BROKER_PORT:-10911}
MYSQL_APP_USER=platform
MYSQL_APP_PASSWORD=platform
TIMEOUT=${STACK_TIMEOUT:-120}            # seconds to wait for a component to answer
STOP_TIMEOUT=${STACK_STOP_TIMEOUT:-30}   # seconds between SIGTERM and SIGKILL

ALL_COMPONENTS=(etcd mariadb redis namesrv broker)

ROCKETMQ_VERSION=5.3.3
RMQ_DIR=$STACK_DIR/rocketmq
# The jars are a cache, not state: STACK_RMQ_LIB lets a second stack (the fault tests' private
# broker) reuse the main stack's lib dir instead of running Maven again.
RMQ_LIB=${STACK_RMQ_LIB:-$RMQ_DIR/lib}
RMQ_USER_HOME=$STACK_DIR/rocketmq-home   # java user.home: RocketMQ puts its logs/kv config under it
# Broker store on tmpfs (see broker.conf.tmpl); one dir per run dir so two checkouts don't collide.
RMQ_STORE=/dev/shm/platform-rocketmq-$(printf %s "$STACK_DIR" | sha1sum | cut -c1-10)
JAVA_OPENS=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-exports=java.base/sun.nio.ch=ALL-UNNAMED)

PID_DIR=$STACK_DIR/pids
LOG_DIR=$STACK_DIR/logs

log() { printf '%s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1fs", b-a}'; }

# ---------------------------------------------------------------- process helpers

pidfile() { echo "$PID_DIR/$1.pid"; }

# Process-name fragment that must appear in /proc/PID/cmdline: guards against a recycled pid.
signature() {
  case $1 in
    etcd) echo etcd ;; mariadb) echo mariadbd ;; redis) echo redis-server ;;
    namesrv) echo NamesrvStartup ;; broker) echo BrokerStartup ;;
  esac
}

# Prints the recorded pid of a component if that process is still ours and alive.
running_pid() {
  local f pid
  f=$(pidfile "$1")
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$(signature "$1")" || return 1
  echo "$pid"
}

address() {
  case $1 in
    etcd) echo "$HOST:$ETCD_PORT" ;; mariadb) echo "$HOST:$MYSQL_PORT" ;;
    redis) echo "$HOST:$REDIS_PORT" ;; namesrv) echo "$HOST:$NAMESRV_PORT" ;;
    broker) echo "$HOST:$BROKER_PORT" ;;
  esac
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# Is anything listening on the port (any address)?
port_listening() { [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]; }

# Empty when unknown; never fails, or `owner=$(port_owner ...)` would end the script silently.
port_owner() { ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true; }

# A port we need is taken. If the owner is the distro's own instance (apt on a systemd machine
# starts etcd/redis/mariadb), stop that service; anything else (e.g. another checkout's stack)
# is left alone and we refuse with the owner's command line.
claim_port() {
  local comp=$1 port=$2 svc pidf owner svcpid=
  port_listening "$port" || return 0
  owner=$(port_owner "$port")
  case $comp in
    etcd) svc=etcd pidf=/run/etcd.pid ;; redis) svc=redis-server pidf=/run/redis/redis-server.pid ;;
    mariadb) svc=mariadb pidf=/run/mysqld/mysqld.pid ;; *) svc='' pidf='' ;;
  esac
  if [[ -n $svc && -n $owner ]]; then
    if command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; then
      svcpid=$(systemctl show -p MainPID --value "$svc" 2>/dev/null || true)
    elif [[ -s $pidf ]]; then
      svcpid=$(<"$pidf")
    fi
    if [[ $svcpid == "$owner" ]]; then
      log "port $port is held by the system service $svc (pid $owner): stopping it so the port is ours"
      if [[ -d /run/systemd/system ]]; then systemctl stop "$svc" || true; else service "$svc" stop >/dev/null 2>&1 || true; fi
      local i
      for i in $(seq 100); do port_listening "$port" || return 0; sleep 0.1; done
    fi
  fi
  local who='owner unknown'
  [[ -n $owner && -r /proc/$owner/cmdline ]] && who="pid $owner: $(tr '\0' ' ' <"/proc/$owner/cmdline" | sed 's/ *$//' | cut -c1-300)"
  die "$comp: port $port is already in use by another process ($who).
Stop it (another checkout's stack: STACK_DIR=<its .run/stack> $0 down) or choose other STACK_*_PORT values."
}

# Starts "$@" detached (own session, so it outlives the calling shell/CI step), logs to $log.
declare -A LOG_START=()   # log file -> its size when the component was spawned
spawn() {
  local comp=$1 logf=$2 f; shift 2
  if [[ -f $logf ]]; then mv -f "$logf" "$logf.prev"; fi   # fresh log per start: readiness greps only see this run
  for f in $(logfiles "$comp"); do LOG_START[$f]=$(stat -c %s "$f" 2>/dev/null || echo 0); done
  # 9>&-: the child must not inherit our lock fd, or it would hold the stack lock forever.
  setsid nohup "$@" >"$logf" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile "$comp")"
}

# Polls "$2..." until it succeeds; on timeout or early death kills the process and shows its log.
wait_ready() {
  local comp=$1; shift
  local deadline=$((SECONDS + TIMEOUT)) pid
  pid=$(<"$(pidfile "$comp")")
  until "$@" >/dev/null 2>&1; do
    # Liveness by pid, not by running_pid's command-line check: while the
    # process execs (setsid, nohup, env, java) its cmdline can read empty.
    # The pid was recorded a moment ago, so it cannot have been recycled.
    if [[ ! -e /proc/$pid || $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]]; then
      fail_start "$comp" "process exited during startup"
    fi
    ((SECONDS < deadline)) || fail_start "$comp" "not ready after ${TIMEOUT}s"
    sleep 0.2
  done
}

fail_start() {
  local comp=$1 why=$2 f
  log "stack: $comp failed to start: $why"
  for f in $(logfiles "$comp"); do
    [[ -f $f ]] || continue
    log "----- tail of $f (this start only)"
    tail -c +$((${LOG_START[$f]:-0} + 1)) "$f" | tail -n 40 >&2
  done
  stop_component "$comp" >/dev/null 2>&1 || true
  exit 1
}

# stop_component COMP [KILL]: SIGTERM (clean; the broker needs ~8 s), SIGKILL after STOP_TIMEOUT.
# With KILL: SIGKILL at once, a crash as seen by clients (fault-injection tests).
stop_component() {
  local comp=$1 sig=${2:-TERM} pid i t0
  if ! pid=$(running_pid "$comp"); then
    rm -f "$(pidfile "$comp")"
    echo "$comp: not running"
    return 0
  fi
  t0=$(now)
  kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    [[ -e /proc/$pid ]] || break
    # A zombie (our own child in this shell) counts as gone once its other
    # threads have exited too: until then they hold its sockets (the JVM's
    # ports stay bound for a moment after SIGKILL).
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]] &&
      (($(find "/proc/$pid/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l) <= 1)) && break
    sleep 0.1
  done
  if [[ -e /proc/$pid ]] && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]; then
    log "$comp: still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$(pidfile "$comp")"
  echo "$comp: stopped (pid $pid, SIG$sig) in $(elapsed "$t0")"
}

logfiles() {
  case $1 in
    etcd | mariadb | redis | namesrv) echo "$LOG_DIR/$1.log" ;;
    # stdout has the boot line and fatal errors; RocketMQ's own log has the details.
    broker) echo "$LOG_DIR/broker.log $RMQ_USER_HOME/logs/rocketmqlogs/broker.log" ;;
  esac
  [[ $1 == namesrv ]] && echo "$RMQ_USER_HOME/logs/rocketmqlogs/namesrv.log"
  return 0
}

# ---------------------------------------------------------------- install

apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local sudo=
  ((EUID == 0)) || sudo=sudo
  log "installing apt packages: ${missing[*]}"
  # Keep postinst from starting system instances that would grab our ports
  # (only if no policy is in place already; removed again afterwards).
  local policy=/usr/sbin/policy-rc.d added=
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy" && added=1
  fi
  local rc=0
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"; } \
    >"$STACK_DIR/apt.log" 2>&1 || rc=$?
  [[ -n $added ]] && $sudo rm -f "$policy"
  ((rc == 0)) || { tail -n 30 "$STACK_DIR/apt.log" >&2; die "apt-get install ${missing[*]} failed (log: $STACK_DIR/apt.log)"; }
}

install_rocketmq() {
  local marker=$RMQ_LIB/.complete-$ROCKETMQ_VERSION
  [[ -f $marker ]] && return 0
  local t0 tmp
  t0=$(now)
  log "collecting RocketMQ $ROCKETMQ_VERSION jars with Maven (cached in ~/.m2)..."
  tmp=$RMQ_DIR/lib.tmp
  rm -rf "$tmp"
  mvn -q -B -Dstyle.color=never -f "$SCRIPT_DIR/rocketmq/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$STACK_DIR/maven.log" 2>&1 ||
    { tail -n 30 "$STACK_DIR/maven.log" >&2; die "maven could not fetch RocketMQ (log: $STACK_DIR/maven.log)"; }
  local a
  for a in namesrv broker tools; do
    [[ -f $tmp/rocketmq-$a-$ROCKETMQ_VERSION.jar ]] || die "maven did not produce rocketmq-$a-$ROCKETMQ_VERSION.jar"
  done
  touch "$tmp/.complete-$ROCKETMQ_VERSION"
  rm -rf "$RMQ_LIB" && mv "$tmp" "$RMQ_LIB"   # atomic-ish: a half-filled lib never looks complete
  local jars=("$RMQ_LIB"/*.jar)
  log "RocketMQ jars ready in $(elapsed "$t0") (${#jars[@]} jars)"
}

cmd_install() {
  mkdir -p "$STACK_DIR" "$PID_DIR" "$LOG_DIR" "$RMQ_DIR"
  local want=() c
  command -v ss >/dev/null || want+=(iproute2)
  for c in "$@"; do
    case $c in
      etcd) want+=(etcd-server curl) ;; mariadb) want+=(mariadb-server) ;; redis) want+=(redis-server) ;;
      namesrv | broker) command -v java >/dev/null || want+=(openjdk-17-jre-headless)
                        command -v mvn >/dev/null || want+=(maven) ;;
    esac
  done
  if ((${#want[@]})); then
    mapfile -t want < <(printf '%s\n' "${want[@]}" | sort -u)
    apt_install "${want[@]}"
  fi
  for c in "$@"; do
    case $c in namesrv | broker) install_rocketmq; break ;; esac
  done
}

# ---------------------------------------------------------------- etcd

start_etcd() {
  claim_port etcd "$ETCD_PORT"; claim_port etcd "$ETCD_PEER_PORT"
  mkdir -p "$STACK_DIR/etcd"
  local client=http://$HOST:$ETCD_PORT peer=http://$HOST:$ETCD_PEER_PORT
  # env -u: etcd reads ETCD_* variables as flags (and our own `env` exports ETCD_ENDPOINTS).
  local unset=() v
  for v in $(compgen -e | grep '^ETCD_' || true); do unset+=(-u "$v"); done
  spawn etcd "$LOG_DIR/etcd.log" env "${unset[@]}" \
    etcd --name stack --data-dir "$STACK_DIR/etcd" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "stack=$peer" --initial-cluster-state new \
    --logger zap --log-outputs stderr
  wait_ready etcd etcd_healthy
}

etcd_healthy() { curl -fsS --max-time 1 "http://$HOST:$ETCD_PORT/health" | grep -q '"health":"true"'; }

# ---------------------------------------------------------------- mariadb

mysql_root() { mariadb --no-defaults --socket="$STACK_DIR/mariadb.sock" -uroot "$@"; }

start_mariadb() {
  claim_port mariadb "$MYSQL_PORT"
  local data=$STACK_DIR/mariadb
  if [[ ! -d $data/mysql ]]; then
    log "mariadb: initialising data dir $data"
    rm -rf "$data" && mkdir -p "$data"
    # --no-defaults: ignore /etc/mysql (its paths point at the system instance).
    mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$data" \
      --auth-root-authentication-method=normal --skip-test-db >"$LOG_DIR/mariadb-install.log" 2>&1 ||
      { tail -n 30 "$LOG_DIR/mariadb-install.log" >&2; rm -rf "$data"; die "mariadb-install-db failed"; }
  fi
  spawn mariadb "$LOG_DIR/mariadb.log" mariadbd --no-defaults --user="$(id -un)" --datadir="$data" \
    --socket="$STACK_DIR/mariadb.sock" --pid-file="$STACK_DIR/mariadb.pid" \
    --bind-address="$HOST" --port="$MYSQL_PORT" --log-error="$LOG_DIR/mariadb.log" \
    --skip-log-bin --skip-name-resolve --max-connections=1000 \
    --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci --max-allowed-packet=64M
  wait_ready mariadb mariadb-admin --no-defaults --socket="$STACK_DIR/mariadb.sock" -uroot ping
  wait_ready mariadb port_open "$MYSQL_PORT"
}

# Root only works over the socket; tests connect over TCP as the app user.
ensure_mariadb_user() {
  local u=$MYSQL_APP_USER p=$MYSQL_APP_PASSWORD h sql=
  for h in % localhost 127.0.0.1; do
    sql+="CREATE USER IF NOT EXISTS '$u'@'$h' IDENTIFIED BY '$p';"
    sql+="ALTER USER '$u'@'$h' IDENTIFIED BY '$p';"
    sql+="GRANT ALL PRIVILEGES ON *.* TO '$u'@'$h';"
  done
  # Anonymous accounts would shadow '$u'@'%' for local connections.
  sql+="DELETE FROM mysql.global_priv WHERE User='';FLUSH PRIVILEGES;"
  mysql_root -e "$sql"
}

# ---------------------------------------------------------------- redis

start_redis() {
  claim_port redis "$REDIS_PORT"
  mkdir -p "$STACK_DIR/redis"
  # No persistence: this is a cache for tests. Daemonize ourselves to keep the pid.
  spawn redis "$LOG_DIR/redis.log" redis-server --port "$REDIS_PORT" --bind "$HOST" \
    --save "" --appendonly no --daemonize no --dir "$STACK_DIR/redis" \
    --pidfile "$STACK_DIR/redis.pid" --logfile ""
  wait_ready redis redis_healthy
}

redis_healthy() { [[ $(redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

# ---------------------------------------------------------------- rocketmq

# Sets RMQ_CMD to a java command line for one RocketMQ main class.
rmq_cmd() {
  # ROCKETMQ_HOME must name an existing dir (nothing is read from it); user.home keeps
  # RocketMQ's logs and kv config inside the run dir; the logback file is chosen explicitly
  # because namesrv, broker and tools share one classpath.
  local -a heap
  read -ra heap <<<"$1"
  local logback=$2; shift 2
  mkdir -p "$RMQ_USER_HOME"
  # tls.server.mode=disabled: the default "permissive" mode generates a self-signed RSA cert on
  # every start (5 s of a busy 2-core machine, plus a key/cert pair left in /tmp); our clients
  # speak plain TCP. The status listener silences ~170 lines of logback self-talk on stdout.
  RMQ_CMD=(env ROCKETMQ_HOME="$RMQ_DIR" java -server "${heap[@]}" -XX:+UseG1GC -XX:-OmitStackTraceInFastThrow
    -XX:+ExitOnOutOfMemoryError "${JAVA_OPENS[@]}" -Duser.home="$RMQ_USER_HOME"
    -Dtls.server.mode=disabled -Djava.security.egd=file:/dev/./urandom
    -Dlogback.statusListenerClass=org.apache.rocketmq.logging.ch.qos.logback.core.status.NopStatusListener
    -Drmq.logback.configurationFile="$logback" -Drocketmq.home.dir="$RMQ_DIR"
    -cp "$RMQ_LIB/*" "$@")
}

start_namesrv() {
  claim_port namesrv "$NAMESRV_PORT"
  printf 'listenPort=%s\nbindAddress=%s\n' "$NAMESRV_PORT" "$HOST" >"$RMQ_DIR/namesrv.conf"
  rmq_cmd "-Xms128m -Xmx256m" rmq.namesrv.logback.xml \
    org.apache.rocketmq.namesrv.NamesrvStartup -c "$RMQ_DIR/namesrv.conf"
  spawn namesrv "$LOG_DIR/namesrv.log" "${RMQ_CMD[@]}"
  wait_ready namesrv grep -q "The Name Server boot success" "$LOG_DIR/namesrv.log"
  wait_ready namesrv port_open "$NAMESRV_PORT"
}

start_broker() {
  running_pid namesrv >/dev/null || die "broker needs the name server: run '$0 up namesrv' first"
  # listenPort, the "fast" port (listenPort-2) and the HA port (listenPort+1, binds all addresses).
  claim_port broker "$BROKER_PORT"; claim_port broker $((BROKER_PORT - 2)); claim_port broker $((BROKER_PORT + 1))
  mkdir -p "$RMQ_STORE/commitlog"
  sed -e "s|@BROKER_PORT@|$BROKER_PORT|g" -e "s|@NAMESRV_PORT@|$NAMESRV_PORT|g" \
    -e "s|@STORE_DIR@|$RMQ_STORE|g" "$SCRIPT_DIR/rocketmq/broker.conf.tmpl" >"$RMQ_DIR/broker.conf"
  rmq_cmd "-Xms512m -Xmx512m -XX:MaxDirectMemorySize=512m" \
    rmq.broker.logback.xml org.apache.rocketmq.broker.BrokerStartup -c "$RMQ_DIR/broker.conf"
  spawn broker "$LOG_DIR/broker.log" "${RMQ_CMD[@]}"
  wait_ready broker grep -q "The broker\[.*\] boot success" "$LOG_DIR/broker.log"
  wait_ready broker port_open "$BROKER_PORT"
}

# mqadmin through the same classpath (a JVM start: 3-7 s). Go code can create topics itself
# with rocketmq-client-go's admin.CreateTopic in ~40 ms.
cmd_mqadmin() {
  mkdir -p "$RMQ_DIR" && install_rocketmq
  rmq_cmd "-Xmx256m" rmq.tools.logback.xml org.apache.rocketmq.tools.command.MQAdminStartup "$@" \
    -n "$HOST:$NAMESRV_PORT"
  "${RMQ_CMD[@]}"
}

cmd_topic() {
  local name=${1:?usage: stack.sh topic <name> [queues]} queues=${2:-4}
  running_pid broker >/dev/null || die "broker is not running"
  cmd_mqadmin updateTopic -c DefaultCluster -t "$name" -r "$queues" -w "$queues"
}

# ---------------------------------------------------------------- commands

# Validates component names into COMPS (empty = all), in the canonical order.
parse_components() {
  local c a
  for c in "$@"; do
    [[ " ${ALL_COMPONENTS[*]} " == *" $c "* ]] || die "unknown component '$c' (known: ${ALL_COMPONENTS[*]})"
  done
  COMPS=()
  for a in "${ALL_COMPONENTS[@]}"; do
    if (($# == 0)) || [[ " $* " == *" $a "* ]]; then COMPS+=("$a"); fi
  done
}

lock() {
  # Concurrent test runs may all call `up`: serialise mutating commands.
  mkdir -p "$STACK_DIR"
  exec 9>"$STACK_DIR/.lock"
  flock -w "${STACK_LOCK_TIMEOUT:-600}" 9 || die "another stack.sh still holds $STACK_DIR/.lock"
}

cmd_up() {
  local comps=("$@") c pid t0
  cmd_install "${comps[@]}"
  for c in "${comps[@]}"; do
    if pid=$(running_pid "$c"); then
      [[ $c == mariadb ]] && ensure_mariadb_user
      echo "$c: already up (pid $pid) at $(address "$c")"
      continue
    fi
    t0=$(now)
    "start_$c"
    [[ $c == mariadb ]] && ensure_mariadb_user
    echo "$c: up (pid $(running_pid "$c")) at $(address "$c") in $(elapsed "$t0")"
  done
}

cmd_down() {
  local purge='' sig=TERM comps=() c i
  for c in "$@"; do
    case $c in --purge) purge=1 ;; --kill) sig=KILL ;; *) comps+=("$c") ;; esac
  done
  parse_components "${comps[@]}"
  comps=("${COMPS[@]}")
  for ((i = ${#comps[@]} - 1; i >= 0; i--)); do
    c=${comps[i]}
    stop_component "$c" "$sig"
    [[ -n $purge ]] && purge_component "$c"
  done
  return 0
}

purge_component() {
  case $1 in
    etcd) rm -rf "$STACK_DIR/etcd" ;;
    mariadb) rm -rf "$STACK_DIR/mariadb" "$LOG_DIR/mariadb-install.log" ;;
    redis) rm -rf "$STACK_DIR/redis" ;;
    namesrv) rm -rf "$RMQ_USER_HOME/namesrv"
             rm -f "$RMQ_USER_HOME"/logs/rocketmqlogs/namesrv* ;;
    broker) rm -rf "$RMQ_STORE" "$RMQ_USER_HOME/store"
            find "$RMQ_USER_HOME/logs/rocketmqlogs" -maxdepth 1 -type f ! -name 'namesrv*' -delete 2>/dev/null || true ;;
  esac
  # Logs go with the data; the jar lib stays (it is a cache, not state).
  local f
  for f in $(logfiles "$1"); do rm -f "$f" "$f.prev"; done
  echo "$1: data purged"
}

cmd_status() {
  local c pid
  for c in "$@"; do
    if pid=$(running_pid "$c"); then
      printf '%-8s up    pid %-7s %s\n' "$c" "$pid" "$(address "$c")"
    else
      printf '%-8s down  %-11s %s\n' "$c" "" "$(address "$c")"
    fi
  done
}

cmd_env() {
  cat <<EOF
export ETCD_ENDPOINTS=$HOST:$ETCD_PORT
export MYSQL_ADDR=$HOST:$MYSQL_PORT
export MYSQL_USER=$MYSQL_APP_USER
export MYSQL_PASSWORD=$MYSQL_APP_PASSWORD
export MYSQL_DSN_BASE='$MYSQL_APP_USER:$MYSQL_APP_PASSWORD@tcp($HOST:$MYSQL_PORT)/'
export REDIS_ADDR=$HOST:$REDIS_PORT
export ROCKETMQ_NAMESRV=$HOST:$NAMESRV_PORT
EOF
}

cmd_logs() {
  local c f
  for c in "$@"; do
    for f in $(logfiles "$c"); do
      [[ -f $f ]] || continue
      echo "==> $f <=="
      tail -n "${LINES_TAIL:-50}" "$f"
    done
  done
}

usage() {
  cat <<EOF
usage: $0 <command> [component...]     components: ${ALL_COMPONENTS[*]} (default: all)
  install            install missing apt packages and the RocketMQ $ROCKETMQ_VERSION jars
  up                 install, then start components on $HOST and wait until they answer (idempotent)
  down [--purge] [--kill]
                     stop what this script started (SIGTERM, SIGKILL after ${STOP_TIMEOUT}s);
                     --purge also deletes data and logs; --kill sends SIGKILL at once (crash)
  restart [--kill]   down + up of the given components
  status             one line per component: up/down, pid, address
  logs               tail of each component's log (LINES_TAIL=50)
  env                export lines with the addresses (eval "\$($0 env)")
  topic <name> [n]   create/update a RocketMQ topic with n queues (default 4)
  mqadmin <args...>  run mqadmin against the local name server
Run dir: $STACK_DIR (override with STACK_DIR). Ports: STACK_{ETCD,ETCD_PEER,MYSQL,REDIS,NAMESRV,BROKER}_PORT.
RocketMQ jars: $RMQ_LIB (override with STACK_RMQ_LIB to share another stack's).
EOF
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case $cmd in
    install) lock; parse_components "$@"; cmd_install "${COMPS[@]}" ;;
    up) lock; parse_components "$@"; cmd_up "${COMPS[@]}" ;;
    down) lock; cmd_down "$@" ;;
    restart)
      lock
      local kill=() names=() c
      for c in "$@"; do if [[ $c == --kill ]]; then kill=(--kill); else names+=("$c"); fi; done
      parse_components "${names[@]}"
      cmd_down "${kill[@]}" "${COMPS[@]}"; cmd_up "${COMPS[@]}" ;;
    status) parse_components "$@"; cmd_status "${COMPS[@]}" ;;
    logs) parse_components "$@"; cmd_logs "${COMPS[@]}" ;;
    env) cmd_env ;;
    topic) cmd_topic "$@" ;;
    mqadmin) cmd_mqadmin "$@" ;;
    -h | --help | help | "") usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
