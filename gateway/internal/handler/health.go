package handler

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/kitemall/platform/gateway/internal/apierr"
	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/pkg/observability"
)

// Healthz serves GET /healthz: the process is alive and serving HTTP.
func (h *Handler) Healthz(ctx context.Context, c *app.RequestContext) {
	h.respond(ctx, c, http.StatusOK, healthResponse{Status: "ok"}, nil)
}

// Readyz serves GET /readyz: every downstream resolves in etcd and answers
// a Ping within the ready timeout. Otherwise 503 names the missing ones.
func (h *Handler) Readyz(ctx context.Context, c *app.RequestContext) {
	deps := map[string]Pinger{
		"user": h.clients.Users, "product": h.clients.Products,
		"order": h.clients.Orders, "payment": h.clients.Payments,
	}
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		services = make(map[string]dependencyJSON, len(deps))
	)
	for name, p := range deps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, h.readyTimeout)
			defer cancel()
			resp, err := p.Ping(pctx, &base.PingRequest{})
			d := dependencyJSON{OK: err == nil}
			if err != nil {
				d.Error = apierr.From(err).Message
			} else {
				d.Instance = resp.Instance
			}
			mu.Lock()
			services[name] = d
			mu.Unlock()
		}()
	}
	wg.Wait()

	var down []string
	for name, d := range services {
		if !d.OK {
			down = append(down, name)
		}
	}
	if len(down) == 0 {
		h.respond(ctx, c, http.StatusOK, readyResponse{Status: "ready", Services: services}, nil)
		return
	}
	sort.Strings(down)
	h.respond(ctx, c, http.StatusServiceUnavailable, notReadyResponse{
		Code:      base.ErrorCode_UNAVAILABLE.String(),
		Message:   "not ready: " + strings.Join(down, ", ") + " unavailable",
		RequestID: observability.RequestID(ctx),
		Services:  services,
	}, nil)
}
