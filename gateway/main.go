// Command gateway serves the platform's REST API over HTTP/JSON and calls
// the services through Kitex clients resolved from etcd.
package main

import (
	"context"

	"github.com/kitemall/platform/gateway/internal/app"
	"github.com/kitemall/platform/gateway/internal/config"
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/pkg/observability"
)

func main() {
	bootstrap.Main("gateway", config.Default(), func(ctx context.Context, cfg *config.Config, tel *observability.Telemetry) (bootstrap.App, error) {
		return app.Build(ctx, cfg, tel)
	})
}
