package observability

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// countingExporter counts the spans it is given and keeps the count past
// Shutdown (tracetest's in-memory exporter forgets them there).
type countingExporter struct {
	mu    sync.Mutex
	spans int
}

func (e *countingExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.spans += len(spans)
	return nil
}

func (e *countingExporter) Shutdown(context.Context) error { return nil }

func (e *countingExporter) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.spans
}

func TestSpansAreRecordedOnlyWhenSampledAndExportable(t *testing.T) {
	sampledParent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	tests := []struct {
		name     string
		ratio    float64
		exporter bool
		parent   trace.SpanContext
		// recorded: the span is recorded and reaches the exporter.
		recorded bool
		// sampledFlag: the context the span propagates says "sampled".
		sampledFlag bool
	}{
		{"a new trace with an exporter at ratio 1 is recorded", 1, true, trace.SpanContext{}, true, true},
		{"a new trace at ratio 0 is not", 0, true, trace.SpanContext{}, false, false},
		{"a sampled caller's trace is kept at ratio 0", 0, true, sampledParent, true, true},
		{"without an exporter a new trace is not recorded", 1, false, trace.SpanContext{}, false, false},
		{"without an exporter a sampled caller's flag still propagates", 1, false, sampledParent, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp := &countingExporter{}
			var opts []Option
			if tt.exporter {
				opts = append(opts, WithSpanExporter(exp))
			}
			cfg := DefaultConfig("")
			cfg.TraceSampleRatio = tt.ratio
			tel, err := Setup(context.Background(), "test", cfg, opts...)
			if err != nil {
				t.Fatal(err)
			}
			ctx := trace.ContextWithRemoteSpanContext(context.Background(), tt.parent)
			_, span := otel.Tracer("test").Start(ctx, "op")
			sc := span.SpanContext()
			if got := span.IsRecording(); got != tt.recorded {
				t.Errorf("recording = %v, want %v", got, tt.recorded)
			}
			if !sc.TraceID().IsValid() || (tt.parent.IsValid() && sc.TraceID() != tt.parent.TraceID()) {
				t.Errorf("trace ID %v: want a valid one, the caller's when there is a caller", sc.TraceID())
			}
			if sc.IsSampled() != tt.sampledFlag {
				t.Errorf("sampled flag = %v, want %v", sc.IsSampled(), tt.sampledFlag)
			}
			span.End()
			if err := tel.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			wantExported := 0
			if tt.recorded && tt.exporter {
				wantExported = 1
			}
			if n := exp.count(); n != wantExported {
				t.Errorf("%d spans exported, want %d", n, wantExported)
			}
		})
	}
}

func TestSampleRatioOutsideZeroToOneIsRejected(t *testing.T) {
	for _, ratio := range []float64{-0.1, 1.5} {
		cfg := DefaultConfig("")
		cfg.TraceSampleRatio = ratio
		if _, err := Setup(context.Background(), "test", cfg); err == nil {
			t.Errorf("ratio %v accepted", ratio)
		}
	}
}

func TestPprofIsServedOnlyWhereConfiguredAndStopsWithTheTelemetry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := DefaultConfig("")
	cfg.PprofListen = addr
	tel, err := Setup(context.Background(), "test", cfg)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, path := range []string{"/debug/pprof/goroutine?debug=1", "/debug/pprof/profile?seconds=1"} {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Fatalf("GET %s: %d with %d bytes, want 200 and a profile", path, resp.StatusCode, len(body))
		}
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Get("http://" + addr + "/debug/pprof/"); err == nil {
		t.Fatal("pprof still answers after Shutdown")
	}
}
