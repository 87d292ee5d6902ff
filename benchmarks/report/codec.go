// Package report turns benchmark output into the tables, charts and
// regression verdicts of `make bench`: it reads the codec runs (go test
// benchmark format) and the RPC sweep (rpcbench JSON), derives the figures
// the targets and the gate are about, and compares them with a baseline.
package report

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// CodecKey names one codec benchmark.
type CodecKey struct {
	Msg, Codec, Op string // Op is "encode" or "decode"
}

// CodecSample is one run of one codec benchmark. CPUNsPerOp is process
// CPU time per operation, NsPerOp wall time.
type CodecSample struct {
	NsPerOp, CPUNsPerOp, BytesPerOp, AllocsPerOp, WireBytes float64
}

// SpeedupKey names one paired measurement: FastCodec against Peer on Msg.
type SpeedupKey struct {
	Msg, Peer string
}

// SpeedupSample is one run of one paired measurement: how many times
// faster FastCodec was than the peer, in the same alternating slices.
type SpeedupSample struct {
	Encode, Decode, Both float64
}

// CodecRuns holds every codec benchmark's samples, one per round, in the
// order the rounds ran, plus the order messages and codecs first appeared.
type CodecRuns struct {
	Samples  map[CodecKey][]CodecSample
	Speedups map[SpeedupKey][]SpeedupSample
	Msgs     []string
	Codecs   []string
}

// ReadCodecFile reads a file of concatenated `go test -bench` outputs.
func ReadCodecFile(path string) (*CodecRuns, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadCodec(f, path)
}

// ReadCodec parses BenchmarkCodec and BenchmarkSpeedup results; each
// repetition of a benchmark name is the next round.
func ReadCodec(r io.Reader, name string) (*CodecRuns, error) {
	runs := &CodecRuns{Samples: map[CodecKey][]CodecSample{}, Speedups: map[SpeedupKey][]SpeedupSample{}}
	seenMsg, seenCodec := map[string]bool{}, map[string]bool{}
	br := benchfmt.NewReader(r, name)
	for br.Scan() {
		res, ok := br.Result().(*benchfmt.Result)
		if !ok {
			continue // syntax errors and unit metadata
		}
		if key, ok := speedupKey(res.Name); ok {
			var s SpeedupSample
			if err := values(res, map[string]*float64{"speedup": &s.Both, "enc-speedup": &s.Encode, "dec-speedup": &s.Decode}); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			runs.Speedups[key] = append(runs.Speedups[key], s)
			continue
		}
		key, ok := codecKey(res.Name)
		if !ok {
			continue
		}
		var s CodecSample
		if err := values(res, map[string]*float64{
			"sec/op": &s.NsPerOp, "cpu-sec/op": &s.CPUNsPerOp, "B/op": &s.BytesPerOp, "allocs/op": &s.AllocsPerOp, "wire-B": &s.WireBytes,
		}); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		// benchfmt tidies ns/op to sec/op and cpu-ns/op to cpu-sec/op.
		s.NsPerOp *= 1e9
		s.CPUNsPerOp *= 1e9
		runs.Samples[key] = append(runs.Samples[key], s)
		if !seenMsg[key.Msg] {
			seenMsg[key.Msg] = true
			runs.Msgs = append(runs.Msgs, key.Msg)
		}
		if !seenCodec[key.Codec] {
			seenCodec[key.Codec] = true
			runs.Codecs = append(runs.Codecs, key.Codec)
		}
	}
	if err := br.Err(); err != nil {
		return nil, err
	}
	if len(runs.Samples) == 0 {
		return nil, fmt.Errorf("%s: no BenchmarkCodec results", name)
	}
	return runs, nil
}

// values copies the named units of res into dst.
func values(res *benchfmt.Result, dst map[string]*float64) error {
	for unit, p := range dst {
		v, ok := res.Value(unit)
		if !ok {
			return fmt.Errorf("%s has no %s", res.Name, unit)
		}
		*p = v
	}
	return nil
}

// nameKeys returns the base name and the key=value parts of a benchmark
// name such as "Codec/msg=M/codec=C/op=O-2" (the -GOMAXPROCS suffix is
// not a key=value part).
func nameKeys(n benchfmt.Name) (string, map[string]string) {
	base, parts := n.Parts()
	kv := map[string]string{}
	for _, p := range parts {
		if key, val, ok := strings.Cut(strings.TrimPrefix(string(p), "/"), "="); ok {
			kv[key] = val
		}
	}
	return string(base), kv
}

// codecKey parses "Codec/msg=M/codec=C/op=O".
func codecKey(n benchfmt.Name) (CodecKey, bool) {
	base, kv := nameKeys(n)
	k := CodecKey{Msg: kv["msg"], Codec: kv["codec"], Op: kv["op"]}
	return k, base == "Codec" && k.Msg != "" && k.Codec != "" && k.Op != ""
}

// speedupKey parses "Speedup/msg=M/vs=P".
func speedupKey(n benchfmt.Name) (SpeedupKey, bool) {
	base, kv := nameKeys(n)
	k := SpeedupKey{Msg: kv["msg"], Peer: kv["vs"]}
	return k, base == "Speedup" && k.Msg != "" && k.Peer != ""
}

// Rounds returns how many complete rounds every benchmark has.
func (c *CodecRuns) Rounds() int {
	n := -1
	for _, s := range c.Samples {
		if n < 0 || len(s) < n {
			n = len(s)
		}
	}
	return max(n, 0)
}

// Speedup returns the paired measurement's samples, f picking the figure.
func (c *CodecRuns) Speedup(msg, peer string, f func(SpeedupSample) float64) []float64 {
	var out []float64
	for _, s := range c.Speedups[SpeedupKey{msg, peer}] {
		out = append(out, f(s))
	}
	return out
}

// Both, Encode and Decode pick a SpeedupSample's figures.
func Both(s SpeedupSample) float64   { return s.Both }
func Encode(s SpeedupSample) float64 { return s.Encode }
func Decode(s SpeedupSample) float64 { return s.Decode }

// Has reports whether msg was measured with codec.
func (c *CodecRuns) Has(msg, codec string) bool {
	_, ok := c.Samples[CodecKey{msg, codec, "encode"}]
	return ok
}
