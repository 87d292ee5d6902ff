package kitexsuite

import (
	"github.com/cloudwego/kitex/client"
	"github.com/cloudwego/kitex/pkg/circuitbreak"
	"github.com/cloudwego/kitex/pkg/connpool"
	"github.com/cloudwego/kitex/pkg/discovery"
	"github.com/cloudwego/kitex/pkg/loadbalance"
	"github.com/cloudwego/kitex/pkg/loadbalance/lbcache"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	"github.com/cloudwego/kitex/transport"
	"github.com/kitex-contrib/obs-opentelemetry/tracing"

	"github.com/kitemall/platform/pkg/observability"
)

// ClientSuite configures a Kitex client of one downstream. Use it with
// client.WithSuite.
type ClientSuite struct {
	caller    string
	cfg       ClientConfig
	resolver  discovery.Resolver
	telemetry *observability.Telemetry
	breakers  *circuitbreak.CBSuite
}

// NewClientSuite returns the suite for calling cfg.Service from caller.
// resolver may be nil when the caller passes client.WithHostPorts itself.
func NewClientSuite(caller string, cfg ClientConfig, resolver discovery.Resolver, tel *observability.Telemetry) *ClientSuite {
	// One breaker per downstream: every method of cfg.Service shares the
	// window, so a dead dependency is cut off after MinSample calls overall.
	key := caller + "->" + cfg.Service
	cbs := circuitbreak.NewCBSuite(func(rpcinfo.RPCInfo) string { return key })
	cbs.UpdateServiceCBConfig(key, circuitbreak.CBConfig{
		Enable:    true,
		ErrRate:   cfg.Breaker.ErrRate,
		MinSample: cfg.Breaker.MinSample,
	})
	return &ClientSuite{caller: caller, cfg: cfg, resolver: resolver, telemetry: tel, breakers: cbs}
}

// Options implements client.Suite.
func (s *ClientSuite) Options() []client.Option {
	opts := []client.Option{
		client.WithClientBasicInfo(&rpcinfo.EndpointBasicInfo{ServiceName: s.caller}),
		client.WithConnectTimeout(s.cfg.ConnectTimeout),
		client.WithRPCTimeout(s.cfg.RPCTimeout),
		client.WithCircuitBreaker(s.breakers),
		// Trace context and the request ID travel in TTHeader metadata, in
		// both connection models.
		client.WithSuite(tracing.NewClientSuite()),
		client.WithTransportProtocol(transport.TTHeader),
	}
	if s.resolver != nil {
		opts = append(opts,
			client.WithResolver(s.resolver),
			// A short refresh lets a stopped instance, already gone from
			// etcd, leave the balancer before its exit wait ends.
			client.WithLoadBalancer(loadbalance.NewWeightedRoundRobinBalancer(), &lbcache.Options{
				RefreshInterval: s.cfg.RefreshInterval,
			}),
		)
	}
	switch s.cfg.Transport {
	case TransportMux:
		opts = append(opts, client.WithMuxConnection(s.cfg.MuxConns))
	default:
		opts = append(opts, client.WithLongConnection(connpool.IdleConfig{
			MaxIdlePerAddress: 64,
			MaxIdleGlobal:     1024,
		}))
	}
	if s.cfg.Retry.MaxRetries > 0 && len(s.cfg.IdempotentMethods) > 0 {
		opts = append(opts, client.WithMiddleware(retryMiddleware(s.cfg.Retry, s.cfg.IdempotentMethods)))
	}
	if s.telemetry != nil {
		opts = append(opts, client.WithTracer(s.telemetry.KitexClientTracer()))
	}
	return opts
}
