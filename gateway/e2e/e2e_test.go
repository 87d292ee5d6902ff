package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/hertz/pkg/common/hlog"
	"github.com/golang-jwt/jwt/v5"

	"github.com/kitemall/platform/gateway/internal/clients"
	"github.com/kitemall/platform/gateway/internal/config"
	"github.com/kitemall/platform/gateway/internal/seed"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/testenv"
)

const adminPassword = "e2e-admin-password"

// TestGateway starts one isolated platform and walks it as clients would.
// The subtests share it and run in order: the seed fills the catalog that
// the later ones order from.
func TestGateway(t *testing.T) {
	hlog.SetLevel(hlog.LevelWarn)
	p := startPlatform(t)
	c := newClient(t, p.gateway)

	t.Run("seed creates the demo catalog and the admin once", func(t *testing.T) { testSeed(t, p) })
	t.Run("a newcomer registers, logs in, lists, orders, pays and reads back", func(t *testing.T) { testHappyPath(t, c) })
	t.Run("cancel works only from PENDING_PAYMENT and short stock is 409", func(t *testing.T) { testCancelAndStock(t, c) })
	t.Run("bad inputs get their 4xx and error body and change no table", func(t *testing.T) { testBadInputs(t, p, c) })
	t.Run("a burst over the rate limit gets 429 then recovers", func(t *testing.T) { testRateLimit(t, p) })
	t.Run("one trace runs from the HTTP request into the services and their databases", func(t *testing.T) { testTrace(t, p, c) })
	t.Run("readiness, metrics and the docs are served", func(t *testing.T) { testOps(t, c) })
}

func testSeed(t *testing.T, p *platform) {
	cfg := config.Default()
	cfg.Registry = p.registry
	cfg.Transport = testenv.Transport()
	resolver, err := kitexsuite.NewResolver(cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := clients.New(cfg.ClientConfigs(), resolver, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := seed.WaitReady(ctx, cs.Products, cs.Users); err != nil {
		t.Fatal(err)
	}
	first, err := seed.Run(ctx, cs.Products, cs.Users, "admin", adminPassword, seed.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	if !first.AdminCreated || first.ProductsCreated != len(seed.Catalog) {
		t.Fatalf("first seed: %+v", first)
	}
	second, err := seed.Run(ctx, cs.Products, cs.Users, "admin", adminPassword, seed.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	if second.AdminCreated || second.ProductsCreated != 0 || second.ProductsExisting != len(seed.Catalog) {
		t.Fatalf("second seed: %+v", second)
	}
}

type productJSON struct {
	ProductID  int64  `json:"product_id"`
	Name       string `json:"name"`
	Category   string `json:"category"`
	PriceCents int64  `json:"price_cents"`
	Stock      int64  `json:"stock"`
}

func listProducts(t *testing.T, c *client, query string) ([]productJSON, int64) {
	t.Helper()
	r := c.do("GET", "/api/v1/products"+query, nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("list products%s: %d %s", query, r.Status, r.Body)
	}
	var page struct {
		Items []productJSON `json:"items"`
		Total int64         `json:"total"`
	}
	decode(t, r.Body, &page)
	return page.Items, page.Total
}

func getProduct(t *testing.T, c *client, id int64) productJSON {
	t.Helper()
	r := c.do("GET", fmt.Sprintf("/api/v1/products/%d", id), nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("get product %d: %d %s", id, r.Status, r.Body)
	}
	var p productJSON
	decode(t, r.Body, &p)
	return p
}

func testHappyPath(t *testing.T, c *client) {
	name := "newcomer_" + testenv.Unique()
	reg := c.do("POST", "/api/v1/users/register", nil, fmt.Sprintf(`{"username":%q,"password":"correct horse"}`, name))
	if reg.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", reg.Status, reg.Body)
	}
	userID := reg.int(t, "user_id")
	login := c.do("POST", "/api/v1/users/login", nil, fmt.Sprintf(`{"username":%q,"password":"correct horse"}`, name))
	if login.Status != http.StatusOK || login.int(t, "user_id") != userID {
		t.Fatalf("login: %d %s", login.Status, login.Body)
	}
	exp, err := time.Parse(time.RFC3339, login.JSON(t)["expires_at"].(string))
	if err != nil || exp.Before(time.Now()) {
		t.Fatalf("expires_at: %s (%v)", login.Body, err)
	}
	auth := header{"Authorization": "Bearer " + login.JSON(t)["token"].(string)}

	me := c.do("GET", "/api/v1/users/me", auth, "")
	if me.Status != http.StatusOK || me.JSON(t)["username"] != name || me.int(t, "user_id") != userID {
		t.Fatalf("me: %d %s", me.Status, me.Body)
	}

	all, total := listProducts(t, c, "?page=1&page_size=100")
	if total != int64(len(seed.Catalog)) || len(all) != len(seed.Catalog) {
		t.Fatalf("listed %d of total %d products, want the %d seeded", len(all), total, len(seed.Catalog))
	}
	coffee, _ := listProducts(t, c, "?category=coffee&page_size=2")
	if len(coffee) != 2 || coffee[0].Category != "coffee" || coffee[1].Category != "coffee" {
		t.Fatalf("coffee page: %+v", coffee)
	}
	a, b := getProduct(t, c, coffee[0].ProductID), getProduct(t, c, coffee[1].ProductID)

	body := jsonBody(t, map[string]any{"items": []map[string]any{
		{"product_id": a.ProductID, "quantity": 2},
		{"product_id": b.ProductID, "quantity": 1},
	}})
	orderKey := "order-" + testenv.Unique()
	created := c.do("POST", "/api/v1/orders", auth.with("Idempotency-Key", orderKey), body)
	if created.Status != http.StatusCreated {
		t.Fatalf("create order: %d %s", created.Status, created.Body)
	}
	o := created.JSON(t)
	wantTotal := 2*a.PriceCents + b.PriceCents
	if o["status"] != "PENDING_PAYMENT" || created.int(t, "total_cents") != wantTotal || len(o["items"].([]any)) != 2 {
		t.Fatalf("order %s, want PENDING_PAYMENT with total %d", created.Body, wantTotal)
	}
	if _, err := time.Parse(time.RFC3339, o["created_at"].(string)); err != nil {
		t.Fatalf("created_at: %v", err)
	}
	orderID := created.int(t, "order_id")
	replay := c.do("POST", "/api/v1/orders", auth.with("Idempotency-Key", orderKey), body)
	if (replay.Status != http.StatusOK && replay.Status != http.StatusCreated) || string(replay.Body) != string(created.Body) {
		t.Fatalf("replay: %d %s, want the same body %s", replay.Status, replay.Body, created.Body)
	}
	other := jsonBody(t, map[string]any{"items": []map[string]any{{"product_id": a.ProductID, "quantity": 3}}})
	c.do("POST", "/api/v1/orders", auth.with("Idempotency-Key", orderKey), other).requireError(t, http.StatusUnprocessableEntity, "IDEMPOTENCY_CONFLICT")
	if got := getProduct(t, c, a.ProductID).Stock; got != a.Stock-2 {
		t.Fatalf("stock of %d after ordering 2 (and replaying, and reusing the key): %d, want %d", a.ProductID, got, a.Stock-2)
	}

	payKey := "pay-" + testenv.Unique()
	pay := c.do("POST", fmt.Sprintf("/api/v1/orders/%d/pay", orderID), auth.with("Idempotency-Key", payKey), `{"method":"card"}`)
	if pay.Status != http.StatusOK || pay.JSON(t)["status"] != "SUCCEEDED" || pay.int(t, "amount_cents") != wantTotal || pay.int(t, "order_id") != orderID {
		t.Fatalf("pay: %d %s", pay.Status, pay.Body)
	}
	paymentID := pay.int(t, "payment_id")
	again := c.do("POST", fmt.Sprintf("/api/v1/orders/%d/pay", orderID), auth.with("Idempotency-Key", payKey), `{"method":"card"}`)
	if again.Status != http.StatusOK || again.int(t, "payment_id") != paymentID {
		t.Fatalf("pay replay: %d %s", again.Status, again.Body)
	}

	gotPay := c.do("GET", fmt.Sprintf("/api/v1/payments/%d", paymentID), auth, "")
	if gotPay.Status != http.StatusOK || gotPay.JSON(t)["status"] != "SUCCEEDED" || gotPay.int(t, "order_id") != orderID {
		t.Fatalf("get payment: %d %s", gotPay.Status, gotPay.Body)
	}
	gotOrder := c.do("GET", fmt.Sprintf("/api/v1/orders/%d", orderID), auth, "")
	if gotOrder.Status != http.StatusOK || gotOrder.int(t, "order_id") != orderID || gotOrder.int(t, "total_cents") != wantTotal {
		t.Fatalf("get order: %d %s", gotOrder.Status, gotOrder.Body)
	}
	// The order learns of its payment from the payment.succeeded message,
	// without the client doing anything else.
	if !waitStatus(t, c, auth, orderID, "PAID", 15*time.Second) {
		t.Fatalf("order %d is not PAID 15 s after a successful payment", orderID)
	}
	list := c.do("GET", "/api/v1/orders?page=1&page_size=10", auth, "")
	items, _ := list.JSON(t)["items"].([]any)
	if list.Status != http.StatusOK || len(items) != 1 || jsonInt(t, items[0].(map[string]any)["order_id"]) != orderID {
		t.Fatalf("list orders: %d %s", list.Status, list.Body)
	}
}

func testCancelAndStock(t *testing.T, c *client) {
	auth := c.signup("canceller_"+testenv.Unique(), "password123")
	books, _ := listProducts(t, c, "?category=books&page_size=1")
	p := books[0]
	order := func(qty int64) response {
		return c.do("POST", "/api/v1/orders", auth.with("Idempotency-Key", "k-"+testenv.Unique()),
			jsonBody(t, map[string]any{"items": []map[string]any{{"product_id": p.ProductID, "quantity": qty}}}))
	}
	r := order(p.Stock + 1)
	r.requireError(t, http.StatusConflict, "INSUFFICIENT_STOCK")

	r = order(1)
	if r.Status != http.StatusCreated {
		t.Fatalf("order: %d %s", r.Status, r.Body)
	}
	id := r.int(t, "order_id")
	if got := getProduct(t, c, p.ProductID).Stock; got != p.Stock-1 {
		t.Fatalf("stock after ordering 1: %d, want %d", got, p.Stock-1)
	}
	cancel := c.do("POST", fmt.Sprintf("/api/v1/orders/%d/cancel", id), auth, `{"reason":"changed my mind"}`)
	if cancel.Status != http.StatusOK || cancel.JSON(t)["status"] != "CANCELLED" {
		t.Fatalf("cancel: %d %s", cancel.Status, cancel.Body)
	}
	if got := getProduct(t, c, p.ProductID).Stock; got != p.Stock {
		t.Fatalf("stock after cancelling: %d, want %d back", got, p.Stock)
	}
	c.do("POST", fmt.Sprintf("/api/v1/orders/%d/pay", id), auth.with("Idempotency-Key", "p1"), `{"method":"card"}`).
		requireError(t, http.StatusConflict, "FAILED_PRECONDITION")

	r = order(1)
	paid := r.int(t, "order_id")
	if pay := c.do("POST", fmt.Sprintf("/api/v1/orders/%d/pay", paid), auth.with("Idempotency-Key", "p2"), `{"method":"card"}`); pay.Status != http.StatusOK {
		t.Fatalf("pay: %d %s", pay.Status, pay.Body)
	}
	// Cancelling a PAID order is a 409. The order learns of its payment
	// asynchronously, so wait until it reads PAID.
	if !waitStatus(t, c, auth, paid, "PAID", 15*time.Second) {
		t.Fatalf("order %d is not PAID 15 s after a successful payment", paid)
	}
	c.do("POST", fmt.Sprintf("/api/v1/orders/%d/cancel", paid), auth, ``).requireError(t, http.StatusConflict, "FAILED_PRECONDITION")
}

// waitStatus polls an order until it has status or timeout passes.
func waitStatus(t *testing.T, c *client, auth header, orderID int64, status string, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := c.do("GET", fmt.Sprintf("/api/v1/orders/%d", orderID), auth, "")
		if r.Status != http.StatusOK {
			t.Fatalf("get order %d: %d %s", orderID, r.Status, r.Body)
		}
		if r.JSON(t)["status"] == status {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// token signs claims with secret the way the gateway does.
func token(t *testing.T, secret string, userID int64, exp time.Time) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "kitemall-gateway", "sub": strconv.FormatInt(userID, 10), "name": "x", "role": "user",
		"iat": exp.Add(-time.Hour).Unix(), "exp": exp.Unix(),
	}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + s
}

func testBadInputs(t *testing.T, p *platform, c *client) {
	alice := c.signup("alice_"+testenv.Unique(), "password123")
	bobName := "bob_" + testenv.Unique()
	bob := c.signup(bobName, "password123")
	products, _ := listProducts(t, c, "?page_size=1")
	pid := products[0].ProductID
	bobOrder := c.do("POST", "/api/v1/orders", bob.with("Idempotency-Key", "b-"+testenv.Unique()),
		jsonBody(t, map[string]any{"items": []map[string]any{{"product_id": pid, "quantity": 1}}}))
	if bobOrder.Status != http.StatusCreated {
		t.Fatalf("bob's order: %d %s", bobOrder.Status, bobOrder.Body)
	}
	bobOrderID := bobOrder.int(t, "order_id")
	bobPay := c.do("POST", fmt.Sprintf("/api/v1/orders/%d/pay", bobOrderID), bob.with("Idempotency-Key", "bp"), `{"method":"card"}`)
	if bobPay.Status != http.StatusOK {
		t.Fatalf("bob's payment: %d %s", bobPay.Status, bobPay.Body)
	}
	bobPaymentID := bobPay.int(t, "payment_id")
	aliceID := c.do("GET", "/api/v1/users/me", alice, "").int(t, "user_id")
	keyed := alice.with("Idempotency-Key", "a-"+testenv.Unique())
	one := jsonBody(t, map[string]any{"items": []map[string]any{{"product_id": pid, "quantity": 1}}})
	many := make([]map[string]any, 51)
	for i := range many {
		many[i] = map[string]any{"product_id": i + 1, "quantity": 1}
	}

	tests := []struct {
		name         string
		method, path string
		h            header
		body         string
		wantStatus   int
		wantCode     string
	}{
		{"malformed JSON", "POST", "/api/v1/orders", keyed, `{"items":[{"product_id":1,`, 400, "INVALID_ARGUMENT"},
		{"oversized body", "POST", "/api/v1/orders", keyed, `{"items":[]}` + strings.Repeat(" ", 1<<20), 413, "PAYLOAD_TOO_LARGE"},
		{"wrong type for quantity", "POST", "/api/v1/orders", keyed, `{"items":[{"product_id":1,"quantity":"1"}]}`, 400, "INVALID_ARGUMENT"},
		{"wrong type for password", "POST", "/api/v1/users/register", nil, `{"username":"wrongtype","password":12345678}`, 400, "INVALID_ARGUMENT"},
		{"missing body", "POST", "/api/v1/users/login", nil, ``, 400, "INVALID_ARGUMENT"},
		{"missing Idempotency-Key", "POST", "/api/v1/orders", alice, one, 400, "INVALID_ARGUMENT"},
		{"missing token", "POST", "/api/v1/orders", header{"Idempotency-Key": "k"}, one, 401, "UNAUTHENTICATED"},
		{"expired token", "GET", "/api/v1/orders", header{"Authorization": token(t, e2eSecret, aliceID, time.Now().Add(-time.Minute))}, ``, 401, "UNAUTHENTICATED"},
		{"forged token", "GET", "/api/v1/orders", header{"Authorization": token(t, "not-the-gateway-secret-0123456789abc", aliceID, time.Now().Add(time.Hour))}, ``, 401, "UNAUTHENTICATED"},
		{"negative quantity", "POST", "/api/v1/orders", keyed, `{"items":[{"product_id":1,"quantity":-5}]}`, 400, "INVALID_ARGUMENT"},
		{"huge quantity", "POST", "/api/v1/orders", keyed, `{"items":[{"product_id":1,"quantity":99999999999}]}`, 400, "INVALID_ARGUMENT"},
		{"51 items", "POST", "/api/v1/orders", keyed, jsonBody(t, map[string]any{"items": many}), 400, "INVALID_ARGUMENT"},
		{"unknown product", "POST", "/api/v1/orders", keyed, `{"items":[{"product_id":987654321,"quantity":1}]}`, 404, "NOT_FOUND"},
		{"unknown product read", "GET", "/api/v1/products/987654321", nil, ``, 404, "NOT_FOUND"},
		{"SQL-looking username", "POST", "/api/v1/users/register", nil, `{"username":"admin'--","password":"password123"}`, 400, "INVALID_ARGUMENT"},
		{"SQL-looking login", "POST", "/api/v1/users/login", nil, `{"username":"x' OR '1'='1","password":"' OR '1'='1"}`, 401, "UNAUTHENTICATED"},
		{"SQL-looking product ID", "GET", "/api/v1/products/1%20OR%201=1", nil, ``, 400, "INVALID_ARGUMENT"},
		{"SQL-looking page", "GET", "/api/v1/orders?page=1;DROP%20TABLE%20orders", alice, ``, 400, "INVALID_ARGUMENT"},
		{"wrong password", "POST", "/api/v1/users/login", nil, fmt.Sprintf(`{"username":%q,"password":"password124"}`, bobName), 401, "UNAUTHENTICATED"},
		{"username taken", "POST", "/api/v1/users/register", nil, fmt.Sprintf(`{"username":%q,"password":"password123"}`, strings.ToUpper(bobName)), 409, "ALREADY_EXISTS"},
		{"someone else's order", "GET", fmt.Sprintf("/api/v1/orders/%d", bobOrderID), alice, ``, 404, "NOT_FOUND"},
		{"cancel someone else's order", "POST", fmt.Sprintf("/api/v1/orders/%d/cancel", bobOrderID), alice, ``, 404, "NOT_FOUND"},
		{"pay someone else's order", "POST", fmt.Sprintf("/api/v1/orders/%d/pay", bobOrderID), alice.with("Idempotency-Key", "x"), `{"method":"card"}`, 404, "NOT_FOUND"},
		{"someone else's payment", "GET", fmt.Sprintf("/api/v1/payments/%d", bobPaymentID), alice, ``, 404, "NOT_FOUND"},
		{"user creates a product", "POST", "/api/v1/products", alice, `{"name":"x","category":"c","price_cents":1,"stock":1}`, 403, "PERMISSION_DENIED"},
	}

	before := p.quiescentSnapshot(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.do(tc.method, tc.path, tc.h, tc.body).requireError(t, tc.wantStatus, tc.wantCode)
		})
	}
	// A category that looks like SQL is just a category nobody uses.
	if items, total := listProducts(t, c, "?category=books'%20OR%20'1'='1"); len(items) != 0 || total != 0 {
		t.Fatalf("SQL-looking category listed %d products", total)
	}
	after := p.snapshot(t)
	if !maps.Equal(before, after) {
		var diff []string
		for _, k := range slices.Sorted(maps.Keys(after)) {
			if before[k] != after[k] {
				diff = append(diff, fmt.Sprintf("%s: %s -> %s", k, before[k], after[k]))
			}
		}
		t.Fatalf("rejected requests changed tables:\n%s", strings.Join(diff, "\n"))
	}
}

func testRateLimit(t *testing.T, p *platform) {
	base := p.startGateway(t, func(cfg *config.Config) {
		cfg.RateLimit.PerIP = config.BucketConfig{RPS: 1, Burst: 3}
	})
	c := newClient(t, base)
	var limited response
	ok := 0
	for range 10 {
		r := c.do("GET", "/api/v1/products?page_size=1", nil, "")
		if r.Status == http.StatusTooManyRequests {
			limited = r
			break
		}
		if r.Status != http.StatusOK {
			t.Fatalf("in the burst: %d %s", r.Status, r.Body)
		}
		ok++
	}
	if limited.Status == 0 || ok < 3 {
		t.Fatalf("%d requests passed before any 429, want a 429 after the burst of 3", ok)
	}
	limited.requireError(t, http.StatusTooManyRequests, "RATE_LIMITED")
	wait, err := strconv.Atoi(limited.Header.Get("Retry-After"))
	if err != nil || wait < 1 || wait > 2 {
		t.Fatalf("Retry-After %q, want 1..2 s at 1 rps", limited.Header.Get("Retry-After"))
	}
	time.Sleep(time.Duration(wait) * time.Second)
	if r := c.do("GET", "/api/v1/products?page_size=1", nil, ""); r.Status != http.StatusOK {
		t.Fatalf("after Retry-After: %d %s", r.Status, r.Body)
	}
}

func testTrace(t *testing.T, p *platform, c *client) {
	auth := c.signup("tracer_"+testenv.Unique(), "password123")
	products, _ := listProducts(t, c, "?page_size=1")
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	traceID := hex.EncodeToString(b)
	h := auth.with("Idempotency-Key", "t-"+testenv.Unique()).with("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	r := c.do("POST", "/api/v1/orders", h, jsonBody(t, map[string]any{"items": []map[string]any{{"product_id": products[0].ProductID, "quantity": 1}}}))
	if r.Status != http.StatusCreated {
		t.Fatalf("order: %d %s", r.Status, r.Body)
	}

	// The gateway's HTTP span, its Kitex client span, the order and product
	// server spans, and the database spans below them share the trace ID
	// the client sent.
	want := func(spans []span) []string {
		var missing []string
		has := func(pred func(span) bool) bool { return slices.ContainsFunc(spans, pred) }
		if !has(func(s span) bool { return s.Service == "gateway" && strings.HasPrefix(s.Name, "POST /api/v1/orders") }) {
			missing = append(missing, "gateway HTTP span")
		}
		for _, svc := range []string{"order", "product"} {
			if !has(func(s span) bool { return s.Service == svc }) {
				missing = append(missing, svc+" span")
			}
			if !has(func(s span) bool { return s.Service == svc && s.Attrs["db.system"] != "" }) {
				missing = append(missing, svc+" database span")
			}
		}
		return missing
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		spans := p.spans.Trace(traceID)
		missing := want(spans)
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			var got []string
			for _, s := range spans {
				got = append(got, s.Service+": "+s.Name)
			}
			t.Fatalf("trace %s lacks %v; it has %d spans:\n%s", traceID, missing, len(spans), strings.Join(got, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func testOps(t *testing.T, c *client) {
	r := c.do("GET", "/readyz", nil, "")
	services, _ := r.JSON(t)["services"].(map[string]any)
	if r.Status != http.StatusOK || len(services) != 4 {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}
	for name, s := range services {
		if s.(map[string]any)["ok"] != true || s.(map[string]any)["instance"] == "" {
			t.Errorf("service %s not ready: %v", name, s)
		}
	}
	m := c.do("GET", "/metrics", nil, "")
	if m.Status != http.StatusOK || !strings.Contains(string(m.Body), `gateway_http_requests_total{code="201",method="POST",route="/api/v1/orders"}`) ||
		!strings.Contains(string(m.Body), "kitex_client_throughput") {
		t.Fatalf("metrics lack the gateway's HTTP or Kitex client series: %d", m.Status)
	}
	if d := c.do("GET", "/docs", nil, ""); d.Status != http.StatusOK || !strings.Contains(string(d.Body), "/openapi.json") {
		t.Fatalf("docs: %d", d.Status)
	}
	if d := c.do("GET", "/openapi.json", nil, ""); d.Status != http.StatusOK || !strings.HasPrefix(d.JSON(t)["openapi"].(string), "3.") {
		t.Fatalf("openapi.json: %d", d.Status)
	}
}
