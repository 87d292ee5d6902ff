// Package faulttest proves the order/payment consistency flows under real
// faults: the service binaries are built once and run as processes that a
// test kills with SIGKILL (at a failpoint or from outside) and restarts, a
// private RocketMQ name server and broker is restarted in the middle of a
// run, and a TCP proxy cuts the order service off MariaDB. After every fault
// the invariant checker must pass.
//
// The package has tests only. It needs the local stack (etcd, MariaDB,
// Redis; deploy/local/stack.sh up) and starts its own RocketMQ from the same
// script on free ports, so restarting it never disturbs other tests that use
// the shared broker.
package faulttest
