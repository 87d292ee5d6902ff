// Package app builds the gateway process from its config: etcd resolver,
// Kitex clients, and the Hertz server with every route. The e2e tests start
// the gateway in-process through Build.
package app

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/hlog"

	"github.com/kitemall/platform/gateway/internal/clients"
	"github.com/kitemall/platform/gateway/internal/config"
	"github.com/kitemall/platform/gateway/internal/router"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/observability"
)

// App is a built gateway: Run serves until Stop.
type App struct {
	h        *server.Hertz
	addr     string
	exitWait time.Duration
}

// Build wires the gateway. It does not need the services to be up: clients
// resolve them from etcd on first call, and /readyz reports them.
func Build(_ context.Context, cfg *config.Config, tel *observability.Telemetry) (*App, error) {
	// Hertz's own logs are for operators; requests are logged by the
	// access log with their request and trace IDs.
	hlog.SetLevel(hlog.LevelWarn)
	resolver, err := kitexsuite.NewResolver(cfg.Registry)
	if err != nil {
		return nil, err
	}
	cs, err := clients.New(cfg.ClientConfigs(), resolver, tel)
	if err != nil {
		return nil, err
	}
	// Listening here, not in Run, makes a busy port a startup error and lets
	// a test ask for port 0 and learn the real address.
	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTP.Listen, err)
	}
	h, err := router.New(router.Deps{
		Config:         cfg,
		Clients:        cs,
		Logger:         tel.Logger(),
		Metrics:        tel.Registry(),
		MetricsHandler: tel.MetricsHandler(),
		Now:            time.Now,
	}, server.WithListener(ln))
	if err != nil {
		ln.Close()
		return nil, err
	}
	return &App{h: h, addr: ln.Addr().String(), exitWait: cfg.HTTP.ExitWait}, nil
}

// Addr is the host:port the gateway listens on.
func (a *App) Addr() string { return a.addr }

// Run serves until Stop.
func (a *App) Run() error { return a.h.Run() }

// Stop stops accepting connections and waits up to the exit wait for
// in-flight requests.
func (a *App) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.exitWait+time.Second)
	defer cancel()
	return a.h.Shutdown(ctx)
}
