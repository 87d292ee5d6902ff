package service

import (
	"context"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
)

// Ping reports which instance answered and when.
type Ping struct{ deps Deps }

// NewPing returns the operation.
func NewPing(deps Deps) *Ping { return &Ping{deps: deps} }

// Run answers with the service name, this instance's listen address and the
// current time.
func (s *Ping) Run(_ context.Context, _ *base.PingRequest) (*base.PingResponse, error) {
	return &base.PingResponse{
		Service:    s.deps.Service,
		Instance:   s.deps.Instance,
		TimeUnixMs: time.Now().UTC().UnixMilli(),
	}, nil
}
