// Package router assembles the gateway's Hertz server: the middleware
// chain every request passes and the routes of the API.
package router

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/cloudwego/hertz/pkg/app"
	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/cloudwego/hertz/pkg/common/adaptor"
	hconfig "github.com/cloudwego/hertz/pkg/common/config"
	"github.com/hertz-contrib/obs-opentelemetry/tracing"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kitemall/platform/gateway/internal/apierr"
	"github.com/kitemall/platform/gateway/internal/auth"
	"github.com/kitemall/platform/gateway/internal/config"
	"github.com/kitemall/platform/gateway/internal/handler"
	"github.com/kitemall/platform/gateway/internal/middleware"
	"github.com/kitemall/platform/gateway/internal/openapi"
	"github.com/kitemall/platform/gateway/internal/productcache"
	"github.com/kitemall/platform/gateway/internal/ratelimit"
)

// Deps is what the server is built from.
type Deps struct {
	Config  *config.Config
	Clients handler.Clients
	Logger  *slog.Logger
	// Metrics receives the HTTP metrics; MetricsHandler serves /metrics.
	Metrics        prometheus.Registerer
	MetricsHandler http.Handler
	// Now is the clock of tokens and rate limits (time.Now outside tests).
	Now func() time.Time
}

// New returns the gateway server with every route registered. opts are
// appended to the server options built from the config (e.g. a listener).
func New(d Deps, opts ...hconfig.Option) (*server.Hertz, error) {
	cfg := d.Config
	cidrs, err := cfg.HTTP.TrustedCIDRs()
	if err != nil {
		return nil, err
	}
	httpMetrics, err := middleware.NewHTTPMetrics(d.Metrics)
	if err != nil {
		return nil, err
	}
	// The tracer reads the global OpenTelemetry provider installed by
	// observability.Setup; its span is the parent of every Kitex client span,
	// so one trace runs from the HTTP request down to the databases.
	tracerOpt, tracingCfg := tracing.NewServerTracer()
	h := server.New(append([]hconfig.Option{
		tracerOpt,
		server.WithHostPorts(cfg.HTTP.Listen),
		// Streamed bodies let BodyLimit answer an oversized body with the
		// JSON error instead of Hertz's plain-text 413.
		server.WithStreamBody(true),
		server.WithMaxRequestBodySize(cfg.HTTP.MaxBodyBytes),
		server.WithReadTimeout(cfg.HTTP.ReadTimeout),
		server.WithWriteTimeout(cfg.HTTP.WriteTimeout),
		server.WithIdleTimeout(cfg.HTTP.IdleTimeout),
		server.WithExitWaitTime(cfg.HTTP.ExitWait),
		server.WithHandleMethodNotAllowed(true),
		server.WithDisablePrintRoute(true),
	}, opts...)...)
	h.SetClientIPFunc(app.ClientIPWithOption(app.ClientIPOptions{
		RemoteIPHeaders: []string{"X-Forwarded-For", "X-Real-IP"},
		TrustedCIDRs:    cidrs,
	}))

	errs := apierr.NewResponder(d.Logger)
	tokens := auth.NewTokens(cfg.Auth, d.Now)
	products, err := productcache.New(cfg.ProductCache, d.Metrics, d.Now)
	if err != nil {
		return nil, err
	}
	hd := handler.New(d.Clients, products, tokens, errs, cfg.HTTP.ReadyTimeout)
	rl := cfg.RateLimit
	ipLimiter := ratelimit.New(rl.PerIP.RPS, rl.PerIP.Burst, rl.MaxKeys, rl.IdleTTL, d.Now)
	userLimiter := ratelimit.New(rl.PerUser.RPS, rl.PerUser.Burst, rl.MaxKeys, rl.IdleTTL, d.Now)

	// Outermost first: the span and the request ID exist before anything
	// can fail, the access log sees the final status (also of a panic),
	// and no body is read past the limit.
	h.Use(
		tracing.ServerMiddleware(tracingCfg),
		middleware.RequestID(),
		middleware.AccessLog(d.Logger, httpMetrics),
		middleware.Recovery(errs),
		middleware.BodyLimit(cfg.HTTP.MaxBodyBytes, errs),
	)
	h.NoRoute(func(ctx context.Context, c *app.RequestContext) {
		errs.Abort(ctx, c, apierr.NotFound("no route %s %s", c.Method(), c.Path()))
	})
	h.NoMethod(func(ctx context.Context, c *app.RequestContext) {
		errs.Abort(ctx, c, apierr.New(http.StatusMethodNotAllowed, apierr.CodeMethodNotAllowed, "method %s is not allowed on %s", c.Method(), c.Path()))
	})

	// Probes, metrics and docs are not rate limited: an orchestrator or a
	// scraper must always get through.
	h.GET("/healthz", hd.Healthz)
	h.GET("/readyz", hd.Readyz)
	h.GET("/metrics", adaptor.HertzHandler(d.MetricsHandler))
	h.GET("/openapi.json", openapi.ServeDocument)
	h.GET("/docs", openapi.ServeUI)

	api := h.Group("/api/v1", middleware.RateLimitByIP(ipLimiter, errs))
	api.POST("/users/register", hd.Register)
	api.POST("/users/login", hd.Login)
	api.GET("/products", hd.ListProducts)
	api.GET("/products/:id", hd.GetProduct)

	authed := api.Group("", middleware.Auth(tokens, errs), middleware.RateLimitByUser(userLimiter, errs))
	authed.GET("/users/me", hd.Me)
	authed.GET("/orders", hd.ListOrders)
	authed.POST("/orders", hd.CreateOrder)
	authed.GET("/orders/:id", hd.GetOrder)
	authed.POST("/orders/:id/cancel", hd.CancelOrder)
	authed.POST("/orders/:id/pay", hd.PayOrder)
	authed.GET("/payments/:id", hd.GetPayment)

	admin := authed.Group("", middleware.RequireAdmin(errs))
	admin.POST("/products", hd.CreateProduct)
	admin.PUT("/products/:id", hd.UpdateProduct)
	return h, nil
}
