package kitexsuite

import (
	"context"
	"fmt"

	"github.com/cloudwego/kitex/pkg/discovery"
	"github.com/cloudwego/kitex/pkg/registry"
	"github.com/cloudwego/kitex/pkg/rpcinfo"
	etcd "github.com/kitex-contrib/registry-etcd"
)

// NewRegistry returns the etcd registry servers register in.
func NewRegistry(cfg RegistryConfig) (registry.Registry, error) {
	etcdReg, err := etcd.NewEtcdRegistry(cfg.Endpoints)
	if err != nil {
		return nil, fmt.Errorf("etcd registry at %v: %w", cfg.Endpoints, err)
	}
	var r registry.Registry = &deregisterGuard{Registry: etcdReg, wait: cfg.DeregisterWait}
	if cfg.Namespace == "" {
		return r, nil
	}
	return &namespacedRegistry{Registry: r, ns: cfg.Namespace}, nil
}

// NewResolver returns the etcd resolver clients find instances with.
func NewResolver(cfg RegistryConfig) (discovery.Resolver, error) {
	r, err := etcd.NewEtcdResolver(cfg.Endpoints)
	if err != nil {
		return nil, fmt.Errorf("etcd resolver at %v: %w", cfg.Endpoints, err)
	}
	if cfg.Namespace == "" {
		return r, nil
	}
	return &namespacedResolver{Resolver: r, ns: cfg.Namespace}, nil
}

// Namespaced returns the name a service is registered under in namespace ns.
func Namespaced(service, ns string) string {
	if ns == "" {
		return service
	}
	return service + "." + ns
}

type namespacedRegistry struct {
	registry.Registry
	ns string
}

func (r *namespacedRegistry) rename(info *registry.Info) *registry.Info {
	c := *info
	c.ServiceName = Namespaced(info.ServiceName, r.ns)
	return &c
}

func (r *namespacedRegistry) Register(info *registry.Info) error {
	return r.Registry.Register(r.rename(info))
}

func (r *namespacedRegistry) Deregister(info *registry.Info) error {
	return r.Registry.Deregister(r.rename(info))
}

type namespacedResolver struct {
	discovery.Resolver
	ns string
}

func (r *namespacedResolver) Target(ctx context.Context, target rpcinfo.EndpointInfo) string {
	renamed := rpcinfo.NewEndpointInfo(Namespaced(target.ServiceName(), r.ns), target.Method(), target.Address(), nil)
	return r.Resolver.Target(ctx, renamed)
}

func (r *namespacedResolver) Name() string {
	return r.Resolver.Name() + "/" + r.ns
}
