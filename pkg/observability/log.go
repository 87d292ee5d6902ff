package observability

import (
	"context"
	"log/slog"

	"github.com/bytedance/gopkg/cloud/metainfo"
	"go.opentelemetry.io/otel/trace"
)

// RequestIDKey is the metainfo key that carries the gateway's request ID
// through Kitex calls (TTHeader persistent metadata).
const RequestIDKey = "request_id"

// WithRequestID returns ctx carrying id to every downstream call.
func WithRequestID(ctx context.Context, id string) context.Context {
	return metainfo.WithPersistentValue(ctx, RequestIDKey, id)
}

// RequestID returns the request ID carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := metainfo.GetPersistentValue(ctx, RequestIDKey)
	return id
}

// ContextHandler adds trace_id, span_id and request_id from the context to
// every record, so any log line can be joined with its trace.
type ContextHandler struct{ slog.Handler }

// NewContextHandler wraps h.
func NewContextHandler(h slog.Handler) *ContextHandler { return &ContextHandler{Handler: h} }

// Handle implements slog.Handler.
func (h *ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &ContextHandler{Handler: h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h *ContextHandler) WithGroup(name string) slog.Handler {
	return &ContextHandler{Handler: h.Handler.WithGroup(name)}
}
