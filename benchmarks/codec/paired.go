package codec

import (
	"time"

	"golang.org/x/sys/unix"
)

// Pair alternates two codecs on one message in short slices, so that on a
// noisy machine both see the same interference and their ratio stays
// steady even when absolute times do not. Slices are timed in process CPU
// time, not wall time: when another process takes the core for a few
// milliseconds, wall time would charge the whole pause to whichever side
// happened to be running, while CPU time charges neither (GC work done on
// other threads during a slice still counts). It is what the regression
// gate and the targets use; the per-codec benchmarks give the absolute
// table.
type Pair struct {
	msg        Message
	a, b       Codec
	aMsg, bMsg any
	aBuf, bBuf []byte
	aWire      []byte
	bWire      []byte
	// per slice, each side encodes and decodes the message this many times
	reps int
	// accumulated encode and decode time of each side
	aEnc, aDec, bEnc, bDec time.Duration
	flip                   bool
}

// sliceTarget is roughly how long one side runs before the other takes
// over: long enough to dwarf the cost of reading the clock, short enough
// that interference rarely hits one side only.
const sliceTarget = 50 * time.Microsecond

// NewPair prepares a and b on m.
func NewPair(m Message, a, b Codec) (*Pair, error) {
	p := &Pair{msg: m, a: a, b: b, aMsg: m.Native(a.TypeSet()), bMsg: m.Native(b.TypeSet())}
	var err error
	if p.aWire, err = a.Encode(nil, p.aMsg); err != nil {
		return nil, err
	}
	if p.bWire, err = b.Encode(nil, p.bMsg); err != nil {
		return nil, err
	}
	p.aBuf, p.bBuf = make([]byte, 0, 2*len(p.aWire)), make([]byte, 0, 2*len(p.bWire))
	// Calibrate on a: enough repetitions to fill a slice. The first pass
	// warms caches; the second is timed.
	const probe = 64
	var per time.Duration
	for range 2 {
		start := cpuNow()
		for range probe {
			if err := p.roundTrip(true); err != nil {
				return nil, err
			}
		}
		per = (cpuNow() - start) / probe
	}
	p.reps = max(1, int(sliceTarget/max(per, time.Nanosecond)))
	return p, nil
}

// cpuNow is the CPU time this process has used, all threads included.
func cpuNow() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		panic(err) // Linux always has this clock
	}
	return time.Duration(ts.Nano())
}

// roundTrip encodes and decodes once on one side.
func (p *Pair) roundTrip(sideA bool) error {
	if err := p.encode(sideA, 1); err != nil {
		return err
	}
	return p.decode(sideA, 1)
}

func (p *Pair) encode(sideA bool, n int) error {
	c, msg, buf := p.b, p.bMsg, &p.bBuf
	if sideA {
		c, msg, buf = p.a, p.aMsg, &p.aBuf
	}
	for range n {
		var err error
		if *buf, err = c.Encode(*buf, msg); err != nil {
			return err
		}
	}
	return nil
}

func (p *Pair) decode(sideA bool, n int) error {
	c, wire := p.b, p.bWire
	if sideA {
		c, wire = p.a, p.aWire
	}
	for range n {
		if err := c.Decode(wire, p.msg.New(c.TypeSet())); err != nil {
			return err
		}
	}
	return nil
}

// Step runs one slice of each side, alternating which goes first; a
// slice is reps encodes, then reps decodes, timed apart.
func (p *Pair) Step() error {
	p.flip = !p.flip
	for _, sideA := range [2]bool{p.flip, !p.flip} {
		t0 := cpuNow()
		if err := p.encode(sideA, p.reps); err != nil {
			return err
		}
		t1 := cpuNow()
		if err := p.decode(sideA, p.reps); err != nil {
			return err
		}
		t2 := cpuNow()
		if sideA {
			p.aEnc, p.aDec = p.aEnc+t1-t0, p.aDec+t2-t1
		} else {
			p.bEnc, p.bDec = p.bEnc+t1-t0, p.bDec+t2-t1
		}
	}
	return nil
}

// Speedup is b's accumulated time over a's (how many times faster a is)
// for encoding, decoding, and both.
func (p *Pair) Speedup() (encode, decode, both float64) {
	ratio := func(b, a time.Duration) float64 {
		if a == 0 {
			return 0
		}
		return float64(b) / float64(a)
	}
	return ratio(p.bEnc, p.aEnc), ratio(p.bDec, p.aDec), ratio(p.bEnc+p.bDec, p.aEnc+p.aDec)
}
