#!/usr/bin/env bash
# `make bench` and `make bench-baseline`: a fixed, short benchmark suite.
#
#   ./bench.sh              run, compare with baseline/, exit 1 on a regression
#   ./bench.sh --baseline   run and record the run as the new baseline/
#
# Steps: build; codec benchmarks (BENCH_CODEC_ROUNDS separate runs of the
# test binary, so rounds interleave and each round pairs every codec with
# its peers); the RPC sweep and memory probe (cmd/rpcbench); the gateway
# run against the real platform on the local stack (cmd/gwbench); the
# report (cmd/benchreport): tables, charts and summary in results/, the
# README's results section, and the regression gate.
#
# Knobs (defaults are what the baseline was recorded with; change them for
# both or the gate compares different experiments):
#   BENCH_CODEC_ROUNDS=6 BENCH_CODEC_BENCHTIME=100ms
#   BENCH_RPC_ROUNDS=4 BENCH_RPC_DURATION=2s BENCH_RPC_CONC=1,16,100,500
#   BENCH_MEM_CONNS=500
#   BENCH_GW_ROUNDS=4 BENCH_GW_ORDER_ROUNDS=2 BENCH_GW_DURATION=2s BENCH_GW_CONC=16,64
#   BENCH_GW_ORDER_CONC=16,64 BENCH_GW_MAX_ORDERS=1500 BENCH_GW_MEM_CONC=500
#   BENCH_PARTS=codec,rpc,gateway   run (and gate) only some parts, e.g. BENCH_PARTS=codec
#   BENCH_PLATFORM_SRC=..   the repository whose services and gateway the
#                        gateway part builds and runs (its conf/ included)
#   BENCH_SLOW_CODEC=1   deliberately slows Kitex FastCodec in the codec
#                        benchmark (encodes twice): the gate must fail.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
# Build from benchmarks/go.mod alone: the figures then depend on the
# versions pinned here, not on whatever the rest of the workspace requires
# today (go.mod's replace finds ../kitex_gen).
export GOWORK=off

mode=compare
case "${1:-}" in
"") ;;
--baseline) mode=baseline ;;
*)
	echo "usage: $0 [--baseline]" >&2
	exit 2
	;;
esac

codec_rounds=${BENCH_CODEC_ROUNDS:-6}
codec_benchtime=${BENCH_CODEC_BENCHTIME:-100ms}
rpc_rounds=${BENCH_RPC_ROUNDS:-4}
rpc_duration=${BENCH_RPC_DURATION:-2s}
rpc_conc=${BENCH_RPC_CONC:-1,16,100,500}
mem_conns=${BENCH_MEM_CONNS:-500}
gw_rounds=${BENCH_GW_ROUNDS:-4}
gw_order_rounds=${BENCH_GW_ORDER_ROUNDS:-2}
gw_duration=${BENCH_GW_DURATION:-2s}
gw_conc=${BENCH_GW_CONC:-16,64}
gw_order_conc=${BENCH_GW_ORDER_CONC:-16,64}
gw_max_orders=${BENCH_GW_MAX_ORDERS:-1500}
gw_mem_conc=${BENCH_GW_MEM_CONC:-500}
platform_src=$(cd "${BENCH_PLATFORM_SRC:-..}" && pwd)
parts=${BENCH_PARTS:-codec,rpc,gateway}
run_part() { [[ ",$parts," == *",$1,"* ]]; }
if [ "$mode" = baseline ] && { [ "$parts" != codec,rpc,gateway ] || [ -n "${BENCH_SLOW_CODEC:-}" ]; }; then
	echo "bench.sh: a baseline records every part, unslowed; unset BENCH_PARTS and BENCH_SLOW_CODEC" >&2
	exit 2
fi

start=$(date +%s)
step() { printf '\n=== [%s +%ss] %s\n' "$(date +%H:%M:%S)" "$(($(date +%s) - start))" "$*"; }

# Pin the codec benchmarks to one core when there are two: less noise from
# the scheduler, and the RPC sweep pins the same way (server core 1).
pin=()
if [ "$(nproc --all)" -ge 2 ] && command -v taskset >/dev/null; then
	pin=(taskset -c 1)
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

# The gateway part runs the real platform on the shared local stack
# (deploy/local/stack.sh up): fail before building if it is not there.
if run_part gateway; then
	for hostport in 127.0.0.1:2379 127.0.0.1:3306 127.0.0.1:6379 127.0.0.1:9876; do
		if ! timeout 2 bash -c "exec 3<>/dev/tcp/${hostport%:*}/${hostport#*:}" 2>/dev/null; then
			echo "bench.sh: nothing listens on $hostport: the gateway part needs the local stack (bash deploy/local/stack.sh up), or leave it out with BENCH_PARTS=codec,rpc" >&2
			exit 2
		fi
	done
fi

step "1/5 build"
go test -c -o "$bin/codec.test" ./codec
go build -o "$bin/rpcbench" ./cmd/rpcbench
go build -o "$bin/gwbench" ./cmd/gwbench
go build -o "$bin/benchreport" ./cmd/benchreport
if run_part gateway; then
	# The platform's binaries, built as its e2e tests build them: in the
	# repository's workspace, so they link its own pkg and kitex_gen.
	mkdir -p "$bin/platform"
	(cd "$platform_src/rpc" && GOWORK="$platform_src/go.work" go build -o "$bin/platform/" ./user ./product ./order ./payment)
	(cd "$platform_src/gateway" && GOWORK="$platform_src/go.work" go build -o "$bin/platform/gateway" .)
fi

mkdir -p results
rm -f results/codec.txt results/rpc.json results/gateway.json results/gateway_profile.txt

if run_part codec; then
	step "2/5 codec benchmarks: $codec_rounds rounds x 7 messages x (6 codecs x encode/decode + 3 paired speed-ups), ${codec_benchtime} each${BENCH_SLOW_CODEC:+ (BENCH_SLOW_CODEC set: FastCodec deliberately slowed)}"
	total=105 # 7 messages x (12 + 3)
	for round in $(seq "$codec_rounds"); do
		last=""
		n=0
		: >"$bin/round.txt" # exists before tail opens it
		"${pin[@]}" "$bin/codec.test" -test.run '^$' -test.bench '^Benchmark(Codec|Speedup)$' -test.benchmem \
			-test.benchtime "$codec_benchtime" >"$bin/round.txt" 2>&1 &
		runner=$!
		# Progress: one line per message as its benchmarks finish.
		tail -n +1 -f --pid="$runner" "$bin/round.txt" 2>/dev/null | while IFS= read -r line; do
			case "$line" in
			Benchmark*/msg=*)
				n=$((n + 1))
				group=${line%%/msg=*}      # BenchmarkCodec or BenchmarkSpeedup
				msg=${line#*/msg=}
				group="${group#Benchmark} ${msg%%/*}"
				if [ "$group" != "$last" ] && [ -n "$last" ]; then
					printf '[codec round %d/%d] %-24s done (%3d/%d benchmarks, +%ss)\n' "$round" "$codec_rounds" "$last" "$((n - 1))" "$total" "$(($(date +%s) - start))"
				fi
				last=$group
				;;
			esac
		done
		if ! wait "$runner"; then
			cat "$bin/round.txt" >&2
			echo "bench.sh: codec benchmarks failed" >&2
			exit 1
		fi
		printf '[codec round %d/%d] done (+%ss)\n' "$round" "$codec_rounds" "$(($(date +%s) - start))"
		cat "$bin/round.txt" >>results/codec.txt
	done
fi

if run_part rpc; then
	step "3/5 RPC sweep: $rpc_rounds rounds x 7 transports x concurrency $rpc_conc, $rpc_duration per point; then the memory probe ($mem_conns connections)"
	"$bin/rpcbench" sweep -out results/rpc.json -rounds "$rpc_rounds" -duration "$rpc_duration" \
		-conc "$rpc_conc" -mem-conns "$mem_conns"
fi

if run_part gateway; then
	step "4/5 gateway: the real platform from $platform_src; $gw_rounds rounds x GET product (gateway and bare Hertz) at $gw_conc + $gw_order_rounds rounds x POST orders at $gw_order_conc (at most $gw_max_orders each), $gw_duration per point; memory; perf profile"
	"$bin/gwbench" run -bin "$bin/platform" -src "$platform_src" -out results/gateway.json -profile results/gateway_profile.txt \
		-rounds "$gw_rounds" -order-rounds "$gw_order_rounds" -duration "$gw_duration" -conc "$gw_conc" -order-conc "$gw_order_conc" \
		-max-orders "$gw_max_orders" -mem-conc "$gw_mem_conc"
fi

step "5/5 report"
if [ "$mode" = baseline ]; then
	mkdir -p baseline
	cp results/codec.txt results/rpc.json results/gateway.json baseline/
	{
		echo "Recorded by \`make bench-baseline\` on $(date -u +%Y-%m-%dT%H:%MZ)"
		echo "host: $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
		echo "go: $(go env GOVERSION)"
		echo "knobs: codec ${codec_rounds}x${codec_benchtime}, rpc ${rpc_rounds}x${rpc_duration} at ${rpc_conc}, mem ${mem_conns}, gateway ${gw_rounds}x${gw_duration} at ${gw_conc}, orders ${gw_order_rounds}x at ${gw_order_conc} (max ${gw_max_orders}), mem ${gw_mem_conc}"
	} >baseline/RECORDED
	"$bin/benchreport" -results results -gate=false -readme README.md
	step "baseline recorded in baseline/ ($(($(date +%s) - start))s in all)"
	exit 0
fi

if [ -f baseline/codec.txt ] && [ -f results/codec.txt ]; then
	echo
	echo "== benchstat: Kitex FastCodec, baseline vs now (absolute ns/op: informative only, the gate uses same-run ratios)"
	go tool benchstat -filter '/codec:kitex-fastcodec' -col .file -row /msg,/op baseline/codec.txt results/codec.txt |
		grep -v '^goos\|^goarch\|^pkg\|^cpu' || true
fi

# A deliberately slowed run must not publish its numbers in the README.
readme=(-readme README.md)
if [ -n "${BENCH_SLOW_CODEC:-}" ]; then
	readme=()
fi
status=0
"$bin/benchreport" -results results -baseline baseline "${readme[@]}" || status=$?
step "done in $(($(date +%s) - start))s: $([ "$status" = 0 ] && echo PASS || echo FAIL)"
exit "$status"
