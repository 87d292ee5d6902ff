package service

import (
	"context"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
)

// Ping reports which instance answered, for health checks and for seeing
// how a client spreads its calls.
type Ping struct{ deps *Deps }

// NewPing returns the Ping operation.
func NewPing(d *Deps) *Ping { return &Ping{deps: d} }

// Run answers with the service name, this instance's address and the time.
func (s *Ping) Run(_ context.Context, _ *base.PingRequest) (*base.PingResponse, error) {
	return &base.PingResponse{
		Service:    s.deps.Service,
		Instance:   s.deps.Instance,
		TimeUnixMs: time.Now().UnixMilli(),
	}, nil
}
