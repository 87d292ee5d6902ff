// Package bootstrap is the shared main of every Kitex service: flags,
// typed config (file + env), telemetry, build, serve, and a graceful stop on
// SIGINT/SIGTERM. A service's main.go is one call to Main.
package bootstrap

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kitemall/platform/pkg/config"
	"github.com/kitemall/platform/pkg/observability"
)

// Config is what Main needs from a service's config struct.
type Config interface {
	ObservabilityConfig() observability.Config
}

// App is a built service: Run serves until Stop; Stop deregisters, drains
// in-flight calls and closes the service's resources.
type App interface {
	Run() error
	Stop() error
}

// Build constructs the service from its loaded config.
type Build[C Config] func(ctx context.Context, cfg C, tel *observability.Telemetry) (App, error)

// Main loads cfg (defaults already set by the caller) from -config or
// CONFIG_FILE plus the environment, builds the app and serves it. It exits
// the process with a non-zero status on any startup error.
func Main[C Config](service string, cfg C, build Build[C]) {
	path := flag.String("config", os.Getenv("CONFIG_FILE"), "path to the YAML config file")
	flag.Parse()
	if err := run(service, *path, cfg, build); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", service, err)
		os.Exit(1)
	}
}

func run[C Config](service, path string, cfg C, build Build[C]) error {
	if err := config.Load(path, cfg); err != nil {
		return err
	}
	ctx := context.Background()
	tel, err := observability.Setup(ctx, service, cfg.ObservabilityConfig())
	if err != nil {
		return fmt.Errorf("set up telemetry: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tel.Shutdown(sctx)
	}()
	startCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	app, err := build(startCtx, cfg, tel)
	cancel()
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- app.Run() }()
	tel.Logger().Info("serving")
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	case sig := <-sigs:
		tel.Logger().Info("stopping", "signal", sig.String())
	}
	if err := app.Stop(); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	<-done
	tel.Logger().Info("stopped")
	return nil
}
