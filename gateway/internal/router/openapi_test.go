package router

import (
	"context"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/app/server"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kitemall/platform/gateway/internal/config"
	"github.com/kitemall/platform/gateway/internal/openapi"
)

func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Document())
	if err != nil {
		t.Fatalf("parse openapi.json: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc := loadDocument(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", doc.OpenAPI)
	}
}

var pathParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// TestOpenAPIDocumentListsEveryRoute compares the routes the server
// answers with the operations the document declares, both ways.
func TestOpenAPIDocumentListsEveryRoute(t *testing.T) {
	cfg := config.Default()
	cfg.Auth.Secret = testSecret
	reg := prometheus.NewRegistry()
	h, err := New(Deps{
		Config: cfg, Logger: slog.New(slog.DiscardHandler), Metrics: reg,
		MetricsHandler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), Now: time.Now,
	}, server.WithHostPorts("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, r := range h.Routes() {
		served[r.Method+" "+pathParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for path, item := range loadDocument(t).Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	var missing, extra []string
	for r := range served {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !served[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("served but not documented: %v\ndocumented but not served: %v", missing, extra)
	}
	if len(served) < 15 {
		t.Fatalf("only %d routes served: the comparison saw too little", len(served))
	}
}

func TestDocsPageLoadsTheDocument(t *testing.T) {
	g := startGateway(t, nil)
	r := g.do("GET", "/docs", nil, "")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(r.Body), `url: "/openapi.json"`) || !strings.Contains(string(r.Body), "swagger-ui-bundle.js") {
		t.Fatalf("docs: %d %s\n%s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	r = g.do("GET", "/openapi.json", nil, "")
	if r.Status != 200 || string(r.Body) != string(openapi.Document()) {
		t.Fatalf("openapi.json: %d", r.Status)
	}
}
