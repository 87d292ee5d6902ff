package idgen

import (
	"sync"
	"testing"
	"time"
)

// fakeClock returns the times it is set to, so tests can freeze it or step
// it back.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var epoch = time.UnixMilli(EpochUnixMs).UTC()

func TestEpochIsTheStartOf2025(t *testing.T) {
	if want := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC); !epoch.Equal(want) {
		t.Fatalf("epoch %v, want %v", epoch, want)
	}
}

func decode(id int64) (ms, node, seq int64) {
	return id >> (nodeBits + seqBits), id >> seqBits & MaxNode, id & maxSeq
}

func TestNextIsUniqueAndIncreasingAcrossGoroutines(t *testing.T) {
	g, err := New(7)
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 20000
	out := make([][]int64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := make([]int64, each)
			for i := range ids {
				ids[i] = g.Next()
			}
			out[w] = ids
		}()
	}
	wg.Wait()
	seen := make(map[int64]bool, workers*each)
	for w, ids := range out {
		for i, id := range ids {
			if id <= 0 {
				t.Fatalf("worker %d id %d = %d, want positive", w, i, id)
			}
			if i > 0 && id <= ids[i-1] {
				t.Fatalf("worker %d: id %d after %d, want increasing", w, id, ids[i-1])
			}
			if seen[id] {
				t.Fatalf("id %d issued twice", id)
			}
			seen[id] = true
		}
	}
}

func TestNextEncodesTimeNodeAndSequence(t *testing.T) {
	at := epoch.Add(123456 * time.Millisecond)
	g, err := newWithClock(MaxNode, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	for wantSeq := range int64(3) {
		ms, node, seq := decode(g.Next())
		if ms != 123456 || node != MaxNode || seq != wantSeq {
			t.Fatalf("decoded (ms %d, node %d, seq %d), want (123456, %d, %d)", ms, node, seq, MaxNode, wantSeq)
		}
	}
}

func TestNextStaysMonotonicWhenClockStepsBack(t *testing.T) {
	clock := &fakeClock{t: epoch.Add(time.Hour)}
	g, err := newWithClock(1, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	before := g.Next()
	clock.set(epoch.Add(time.Hour - 10*time.Second))
	prev := before
	for range 10 {
		id := g.Next()
		if id <= prev {
			t.Fatalf("after the clock stepped back: id %d, want > %d", id, prev)
		}
		prev = id
	}
	clock.set(epoch.Add(time.Hour + time.Second))
	if ms, _, seq := decode(g.Next()); ms != time.Hour.Milliseconds()+1000 || seq != 0 {
		t.Fatalf("after the clock caught up: (ms %d, seq %d), want the wall clock again with seq 0", ms, seq)
	}
}

func TestNextMovesToNextMillisecondWhenSequenceRunsOut(t *testing.T) {
	at := epoch.Add(time.Minute)
	g, err := newWithClock(3, func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var last int64
	for range maxSeq + 10 {
		last = g.Next()
		if seen[last] {
			t.Fatalf("id %d issued twice within one frozen millisecond", last)
		}
		seen[last] = true
	}
	ms, _, seq := decode(last)
	if want := time.Minute.Milliseconds() + 1; ms != want || seq != 8 {
		t.Fatalf("id %d after %d ids in one ms decodes to (ms %d, seq %d), want (%d, 8)", last, maxSeq+10, ms, seq, want)
	}
}

func TestNodesNeverCollideInTheSameMillisecond(t *testing.T) {
	at := epoch.Add(time.Second)
	a, errA := newWithClock(1, func() time.Time { return at })
	b, errB := newWithClock(2, func() time.Time { return at })
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	seen := map[int64]bool{}
	for range 1000 {
		for _, id := range []int64{a.Next(), b.Next()} {
			if seen[id] {
				t.Fatalf("id %d issued by two nodes", id)
			}
			seen[id] = true
		}
	}
}

func TestNodeRange(t *testing.T) {
	tests := []struct {
		name string
		node int64
		ok   bool
	}{
		{"zero is a node", 0, true},
		{"max node", MaxNode, true},
		{"negative rejected", -1, false},
		{"above max rejected", MaxNode + 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.node)
			if (err == nil) != tc.ok {
				t.Fatalf("New(%d) error = %v, want ok=%v", tc.node, err, tc.ok)
			}
			if err := (Config{Node: tc.node}).Validate("idgen"); (err == nil) != tc.ok {
				t.Fatalf("Validate(node %d) = %v, want ok=%v", tc.node, err, tc.ok)
			}
		})
	}
}

// Proves IDs stay exact in JSON clients that parse numbers as doubles: the
// largest ID the layout can issue (last millisecond, last node, last
// sequence) is below 2^53.
func TestLargestIDFitsInADouble(t *testing.T) {
	const timeBits = 41
	largest := int64(1)<<(timeBits+nodeBits+seqBits) - 1
	if largest >= 1<<53 || float64(largest) != float64(largest-1)+1 {
		t.Fatalf("largest id %d is not exact as a float64", largest)
	}
}
