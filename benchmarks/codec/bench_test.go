package codec

import (
	"os"
	"testing"
	"time"
)

// BenchmarkCodec times every codec on every message. Names use benchstat's
// key=value form so results can be sliced with -row/-col (e.g.
// `benchstat -col /codec`). wire-B is the encoded size; cpu-ns/op is the
// process CPU time per operation, which unlike ns/op does not grow while
// another process holds the core (run pinned, GOMAXPROCS=1, it also
// includes the GC work the benchmark causes).
//
// BENCH_SLOW_CODEC=1 makes Kitex's FastCodec encode every message twice:
// the deliberate regression that shows `make bench` failing. It lives here,
// in the benchmark, so nothing outside the harness can be slowed by it.
func BenchmarkCodec(b *testing.B) {
	slow := os.Getenv("BENCH_SLOW_CODEC") != ""
	for _, m := range Messages() {
		for _, c := range All() {
			if _, ok := c.(FastCodec); ok && slow {
				c = twiceEncoder{c}
			}
			msg := m.Native(c.TypeSet())
			wire, err := c.Encode(nil, msg)
			if err != nil {
				b.Fatal(err)
			}
			prefix := "msg=" + m.Name + "/codec=" + c.Name()
			b.Run(prefix+"/op=encode", func(b *testing.B) {
				buf := make([]byte, 0, 2*len(wire))
				b.ReportAllocs()
				b.SetBytes(int64(len(wire)))
				cpu := cpuNow()
				for b.Loop() {
					if buf, err = c.Encode(buf, msg); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, cpu)
				b.ReportMetric(float64(len(wire)), "wire-B")
			})
			b.Run(prefix+"/op=decode", func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(wire)))
				cpu := cpuNow()
				for b.Loop() {
					if err := c.Decode(wire, m.New(c.TypeSet())); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, cpu)
				b.ReportMetric(float64(len(wire)), "wire-B")
			})
		}
	}
}

// BenchmarkSpeedup measures Kitex FastCodec's speed-up over Apache binary
// and protobuf-go (the targets) and Kitex Protobuf (the Thrift vs Protobuf
// claim) by alternating them in short slices timed in CPU time (see Pair):
// "speedup" is encode+decode, "enc-speedup" and "dec-speedup" each alone;
// ns/op is only the wall time of one alternation.
func BenchmarkSpeedup(b *testing.B) {
	slow := os.Getenv("BENCH_SLOW_CODEC") != ""
	var fast Codec = FastCodec{}
	if slow {
		fast = twiceEncoder{fast}
	}
	for _, m := range Messages() {
		for _, peer := range []Codec{NewApacheBinary(), ProtobufGo{}, KitexProtobuf{}} {
			b.Run("msg="+m.Name+"/vs="+peer.Name(), func(b *testing.B) {
				p, err := NewPair(m, fast, peer)
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					if err := p.Step(); err != nil {
						b.Fatal(err)
					}
				}
				enc, dec, both := p.Speedup()
				b.ReportMetric(both, "speedup")
				b.ReportMetric(enc, "enc-speedup")
				b.ReportMetric(dec, "dec-speedup")
			})
		}
	}
}

// reportCPU reports the process CPU time per iteration since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
}

type twiceEncoder struct{ Codec }

func (t twiceEncoder) Encode(dst []byte, msg any) ([]byte, error) {
	dst, err := t.Codec.Encode(dst, msg)
	if err != nil {
		return nil, err
	}
	return t.Codec.Encode(dst, msg)
}
