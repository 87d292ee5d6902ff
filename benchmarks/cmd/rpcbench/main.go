// Command rpcbench runs the RPC sweep: every transport of package rpcbench
// at every concurrency, each server in its own process pinned to one core
// and the client (this process) pinned to another, then probes the
// server's memory per connection and per request in flight. All traffic
// goes to 127.0.0.1, and every phase is bounded in time.
//
//	rpcbench sweep -out results/rpc.json [-rounds 4 -duration 2s -conc 1,16,100,500]
//	rpcbench serve -transport kitex-thrift   (started by sweep; prints "READY addr")
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "sweep":
		err = sweep(os.Args[2:])
	case "serve":
		err = serve(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rpcbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: rpcbench sweep [flags] | rpcbench serve -transport NAME [-hold D]")
	os.Exit(2)
}
