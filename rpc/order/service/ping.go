package service

import (
	"context"

	"github.com/kitemall/platform/kitex_gen/base"
)

// Ping reports which instance answered and its clock.
type Ping struct{ d Deps }

// NewPing returns the operation.
func NewPing(d Deps) *Ping { return &Ping{d: d} }

// Run executes the operation.
func (s *Ping) Run(_ context.Context, _ *base.PingRequest) (*base.PingResponse, error) {
	return &base.PingResponse{Service: s.d.Service, Instance: s.d.Instance, TimeUnixMs: s.d.now().UnixMilli()}, nil
}
