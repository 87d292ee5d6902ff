#!/usr/bin/env bash
# Regenerates every codec's Go code that the benchmarks compare. The output
# under gen/ is committed; run this only when an IDL changes or a generator is
# bumped, then commit the diff.
#
#   gen/kitex/trade    Kitex Thrift (FastCodec + frugal tags) for idl/trade.thrift;
#                      the platform's own messages come from /kitex_gen.
#   gen/apache/...     Apache Thrift (thrift --gen go) for /idl and idl/trade.thrift.
#   gen/pbgo           google.golang.org/protobuf + gRPC for idl/bench.proto.
#   gen/kitexpb        Kitex Protobuf (prutal) for the same idl/bench.proto.
#
# Needs: Debian thrift-compiler (0.17.0 here) and protobuf-compiler (3.21.12),
# Go. kitex, protoc-gen-go and protoc-gen-go-grpc are built from pinned
# go.mod versions (deploy/tools and benchmarks/go.mod), never @latest.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
module=github.com/kitemall/platform/benchmarks
cd "$here"

for bin in thrift protoc go; do
	command -v "$bin" >/dev/null || { echo "gen.sh: $bin not found (apt-get install -y thrift-compiler protobuf-compiler)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "gen.sh: building generators"
(cd "$root/deploy/tools" && GOWORK=off go build -o "$tmp/kitex" github.com/cloudwego/kitex/tool/cmd/kitex)
GOWORK=off go build -o "$tmp/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go
GOWORK=off go build -o "$tmp/protoc-gen-go-grpc" google.golang.org/grpc/cmd/protoc-gen-go-grpc
export PATH="$tmp:$PATH"

rm -rf gen/kitex gen/apache gen/pbgo gen/kitexpb
mkdir -p gen
{
	echo "# Generator versions of the committed code under gen/ (written by gen.sh)."
	echo "thrift: $(thrift --version)"
	echo "protoc: $(protoc --version)"
	echo "kitex: $(kitex --version 2>&1 | head -1)"
	echo "protoc-gen-go: $(protoc-gen-go --version 2>&1)"
	echo "protoc-gen-go-grpc: $(protoc-gen-go-grpc --version 2>&1)"
} >gen/VERSIONS

echo "gen.sh: Kitex Thrift (trade.thrift)"
kitex -module "$module" -gen-path gen/kitex idl/trade.thrift

echo "gen.sh: Apache Thrift (thrift --gen go)"
# From a copy of the platform's IDL, so the Apache structs cannot drift from
# the ones in /kitex_gen. Apache's compiler reserves `service` as a field name
# (base.PingResponse uses it; thriftgo does not mind), so the copy renames that
# one field; no benchmarked message is touched. skip_remote drops the sample
# CLI programs.
mkdir -p "$tmp/idl" gen/apache
cp "$root"/idl/*.thrift idl/trade.thrift "$tmp/idl/"
sed -i 's/^\(\s*[0-9]*: string\) service,/\1 service_name,/' "$tmp/idl/base.thrift"
opts="package_prefix=$module/gen/apache/,skip_remote"
for idl in order product trade; do
	thrift -r --gen "go:$opts" -out gen/apache "$tmp/idl/$idl.thrift"
done

echo "gen.sh: protobuf-go + gRPC (protoc)"
mkdir -p gen/pbgo
protoc -I idl --go_out=. --go_opt=module=$module \
	--go-grpc_out=. --go-grpc_opt=module=$module idl/bench.proto

echo "gen.sh: Kitex Protobuf (kitex -type protobuf)"
# Same .proto; only go_package differs, because Kitex wants a package under
# its gen-path while protoc-gen-go wants a full import path.
mkdir -p "$tmp/kpb"
sed 's#^option go_package = .*#option go_package = "kitexpb";#' idl/bench.proto >"$tmp/kpb/bench.proto"
kitex -module "$module" -type protobuf -gen-path gen -I "$tmp/kpb" "$tmp/kpb/bench.proto"

gofmt -l gen | xargs -r gofmt -w
echo "gen.sh: done"
