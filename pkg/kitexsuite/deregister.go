package kitexsuite

import (
	"sync"
	"time"

	"github.com/cloudwego/kitex/pkg/registry"
)

// deregisterGuard makes Deregister safe before Register. Kitex registers a
// server about a second after it listens, and registry-etcd v0.3.0's
// Deregister dereferences state that only a successful Register sets, so a
// server stopped within its first second (a SIGTERM right after start, a
// short test) panicked in Stop.
type deregisterGuard struct {
	registry.Registry
	// wait keeps a deregistered server serving; see
	// RegistryConfig.DeregisterWait.
	wait       time.Duration
	mu         sync.Mutex
	registered bool
}

func (g *deregisterGuard) Register(info *registry.Info) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.Registry.Register(info); err != nil {
		return err
	}
	g.registered = true
	return nil
}

func (g *deregisterGuard) Deregister(info *registry.Info) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.registered {
		return nil
	}
	g.registered = false
	if err := g.Registry.Deregister(info); err != nil {
		return err
	}
	// Kitex closes the listener as soon as this returns; until then the
	// server still answers callers that resolved it before it left etcd.
	time.Sleep(g.wait)
	return nil
}
