// Package idgen issues unique, roughly time-ordered int64 IDs without a
// round trip to a database, so a service can name an entity (an order)
// before it stores it and hand that name to other services first.
//
// An ID is a snowflake: 41 bits of milliseconds since EpochUnixMs (about
// 69 years), 5 bits of node (one per running instance, from config) and 7
// bits of sequence (128 IDs per node per millisecond). The 53 bits keep every
// ID below 2^53, so JSON clients that read numbers as doubles (JavaScript,
// Swagger UI) see it exactly. IDs are positive and sort by creation time
// across nodes to the millisecond.
//
// Uniqueness rests on two things: distinct nodes among running instances,
// and a restarted instance's wall clock being past the last millisecond it
// used before (it keeps no state across restarts). Store IDs under a
// primary key, so a violation of either fails loudly instead of merging.
package idgen

import (
	"fmt"
	"sync"
	"time"
)

const (
	nodeBits = 5
	seqBits  = 7

	// MaxNode is the largest node number; every running instance that issues
	// IDs of one kind must have its own node in 0..MaxNode.
	MaxNode = 1<<nodeBits - 1
	maxSeq  = 1<<seqBits - 1
)

// EpochUnixMs (2025-01-01T00:00:00Z) is the zero of the ID clock. It must
// never change: IDs already issued would collide with new ones.
const EpochUnixMs int64 = 1735689600000

// Config is the idgen part of a service's config.
type Config struct {
	// Node must differ between instances running at the same time; with
	// Kubernetes, derive it from the StatefulSet ordinal.
	Node int64 `yaml:"node" env:"IDGEN_NODE"`
}

// Validate checks the config; key is the config key prefix for messages.
func (c Config) Validate(key string) error {
	if c.Node < 0 || c.Node > MaxNode {
		return fmt.Errorf("%s.node: %d is not in 0..%d", key, c.Node, MaxNode)
	}
	return nil
}

// Generator issues IDs for one node. It is safe for concurrent use.
type Generator struct {
	node int64
	now  func() time.Time

	mu sync.Mutex
	// last is the millisecond of the last ID issued. It never decreases,
	// even when the wall clock steps back: the generator then keeps
	// counting on from last instead of reusing old (ms, seq) pairs.
	last int64
	seq  int64
}

// New returns a generator for node.
func New(node int64) (*Generator, error) {
	return newWithClock(node, time.Now)
}

func newWithClock(node int64, now func() time.Time) (*Generator, error) {
	if node < 0 || node > MaxNode {
		return nil, fmt.Errorf("idgen: node %d is not in 0..%d", node, MaxNode)
	}
	return &Generator{node: node, now: now}, nil
}

// Next returns a new ID, greater than every ID this generator issued before.
// It never blocks on the clock: after the clock stepped back it keeps
// counting in the last millisecond it used, and when a millisecond's
// sequence runs out it moves on to the next one itself. So the ID clock runs
// ahead of the wall clock only above 4096 IDs per millisecond or after a
// step back, and the wall clock catches up afterwards.
func (g *Generator) Next() int64 {
	ms := g.now().UnixMilli() - EpochUnixMs
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case ms > g.last:
		g.last, g.seq = ms, 0
	case g.seq < maxSeq:
		g.seq++
	default:
		g.last, g.seq = g.last+1, 0
	}
	return g.last<<(nodeBits+seqBits) | g.node<<seqBits | g.seq
}
