package kitexsuite

import (
	"fmt"
	"net"

	"github.com/cloudwego/kitex/pkg/registry"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/server"
	"github.com/kitex-contrib/obs-opentelemetry/tracing"

	"github.com/kitemall/platform/pkg/observability"
)

// ServerSuite configures a Kitex server: address, registry, transport,
// graceful exit, tracing and RED metrics. Use it with server.WithSuite.
type ServerSuite struct {
	cfg       ServerConfig
	registry  registry.Registry
	telemetry *observability.Telemetry
}

// NewServerSuite returns the suite for cfg. reg may be nil (no registration,
// used by tests that dial the address directly).
func NewServerSuite(cfg ServerConfig, reg registry.Registry, tel *observability.Telemetry) *ServerSuite {
	return &ServerSuite{cfg: cfg, registry: reg, telemetry: tel}
}

// Options implements server.Suite.
func (s *ServerSuite) Options() []server.Option {
	addr, err := net.ResolveTCPAddr("tcp", s.cfg.Listen)
	if err != nil {
		// Validate already checked the shape; a resolve failure here is a
		// wiring bug that must stop the process before it serves.
		panic(fmt.Sprintf("kitexsuite: resolve listen address %q: %v", s.cfg.Listen, err))
	}
	opts := []server.Option{
		server.WithServiceAddr(addr),
		server.WithServerBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: s.cfg.Service}),
		// Kitex's Stop deregisters first, then waits up to ExitWait for
		// in-flight calls before closing connections.
		server.WithExitWaitTime(s.cfg.ExitWait),
		server.WithSuite(tracing.NewServerSuite()),
	}
	if s.cfg.ReadWriteTimeout > 0 {
		opts = append(opts, server.WithReadWriteTimeout(s.cfg.ReadWriteTimeout))
	}
	if s.cfg.Transport == TransportMux {
		opts = append(opts, server.WithMuxTransport())
	}
	if s.registry != nil {
		opts = append(opts, server.WithRegistry(s.registry))
	}
	if s.telemetry != nil {
		opts = append(opts, server.WithTracer(s.telemetry.KitexServerTracer()))
	}
	return opts
}
