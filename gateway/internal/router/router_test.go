package router

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudwego/kitex/pkg/kerrors"

	"github.com/kitemall/platform/gateway/internal/config"
	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/errs"
)

func TestHappyPathThroughTheAPI(t *testing.T) {
	g := startGateway(t, nil)
	creds := `{"username":"alice","password":"password123"}`

	r := g.do("POST", "/api/v1/users/register", nil, creds)
	if r.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	userID := int64(r.JSON(t)["user_id"].(float64))

	r = g.do("POST", "/api/v1/users/login", nil, creds)
	login := r.JSON(t)
	if r.Status != http.StatusOK || int64(login["user_id"].(float64)) != userID || login["role"] != "user" {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	if exp, err := time.Parse(time.RFC3339, login["expires_at"].(string)); err != nil || exp.Before(g.clock.Now()) {
		t.Fatalf("expires_at %v: %v", login["expires_at"], err)
	}
	auth := header{"Authorization": "Bearer " + login["token"].(string)}

	r = g.do("GET", "/api/v1/users/me", auth, "")
	if me := r.JSON(t); r.Status != 200 || me["username"] != "alice" || int64(me["user_id"].(float64)) != userID {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}

	r = g.do("GET", "/api/v1/products?category=books&page_size=1", nil, "")
	var list struct {
		Items []struct {
			ProductID  int64 `json:"product_id"`
			PriceCents int64 `json:"price_cents"`
		} `json:"items"`
		Total, Page, PageSize int
	}
	if err := json.Unmarshal(r.Body, &list); err != nil || r.Status != 200 || len(list.Items) != 1 || list.Total != 2 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}

	orderBody := `{"items":[{"product_id":1,"quantity":2},{"product_id":3,"quantity":1}]}`
	keyed := auth.with("Idempotency-Key", "order-key-1")
	created := g.do("POST", "/api/v1/orders", keyed, orderBody)
	o := created.JSON(t)
	if created.Status != http.StatusCreated || o["status"] != "PENDING_PAYMENT" || o["total_cents"].(float64) != 2*1000+3000 {
		t.Fatalf("create order: %d %s", created.Status, created.Body)
	}
	if _, err := time.Parse(time.RFC3339, o["created_at"].(string)); err != nil {
		t.Fatalf("created_at: %v", err)
	}
	replay := g.do("POST", "/api/v1/orders", keyed, orderBody)
	if replay.Status != http.StatusOK || string(replay.Body) != string(created.Body) {
		t.Fatalf("replay: %d %s, want 200 with %s", replay.Status, replay.Body, created.Body)
	}
	orderID := int64(o["order_id"].(float64))

	r = g.do("POST", fmt.Sprintf("/api/v1/orders/%d/pay", orderID), auth.with("Idempotency-Key", "pay-1"), `{"method":"card"}`)
	pay := r.JSON(t)
	if r.Status != http.StatusOK || pay["status"] != "SUCCEEDED" || pay["amount_cents"].(float64) != 5000 {
		t.Fatalf("pay: %d %s", r.Status, r.Body)
	}

	r = g.do("GET", fmt.Sprintf("/api/v1/payments/%d", int64(pay["payment_id"].(float64))), auth, "")
	if r.Status != 200 || r.JSON(t)["order_id"].(float64) != float64(orderID) {
		t.Fatalf("get payment: %d %s", r.Status, r.Body)
	}
	r = g.do("GET", fmt.Sprintf("/api/v1/orders/%d", orderID), auth, "")
	if r.Status != 200 || r.JSON(t)["status"] != "PAID" {
		t.Fatalf("get order: %d %s", r.Status, r.Body)
	}
	r = g.do("GET", "/api/v1/orders?page=1&page_size=10", auth, "")
	if page := r.JSON(t); r.Status != 200 || page["total"].(float64) != 1 || len(page["items"].([]any)) != 1 {
		t.Fatalf("list orders: %d %s", r.Status, r.Body)
	}

	// The services got the caller from the token, never from the client.
	for _, c := range g.fake.Calls() {
		switch req := c.Req.(type) {
		case *order.CreateOrderRequest:
			if req.UserId != userID || req.IdempotencyKey != "order-key-1" {
				t.Errorf("CreateOrder got user %d key %q", req.UserId, req.IdempotencyKey)
			}
		case *payment.PayRequest:
			if req.UserId != userID || req.OrderId != orderID || req.IdempotencyKey != "pay-1" || req.Method != "card" {
				t.Errorf("Pay got %+v", req)
			}
		}
	}
}

func TestBadInputsAreRejectedWithTheirStatusAndErrorBody(t *testing.T) {
	g := startGateway(t, nil)
	alice := g.signup("alice")
	bob := g.signup("bob")
	bobOrder := g.do("POST", "/api/v1/orders", bob.with("Idempotency-Key", "b1"), `{"items":[{"product_id":1,"quantity":1}]}`)
	if bobOrder.Status != http.StatusCreated {
		t.Fatalf("bob's order: %d %s", bobOrder.Status, bobOrder.Body)
	}
	bobOrderID := int64(bobOrder.JSON(t)["order_id"].(float64))
	expired := func() header {
		// A token issued 25 h ago (TTL 24 h) by this very gateway.
		g.clock.Advance(-25 * time.Hour)
		defer g.clock.Advance(25 * time.Hour)
		return g.signup("carol")
	}()
	forged := header{"Authorization": "Bearer " + strings.TrimSuffix(alice["Authorization"], alice["Authorization"][len(alice["Authorization"])-4:]) + "AAAA"}
	keyed := alice.with("Idempotency-Key", "k1")

	tests := []struct {
		name           string
		method, path   string
		h              header
		body           string
		wantStatus     int
		wantCode       string
		reachesService bool
	}{
		{"malformed JSON", "POST", "/api/v1/orders", keyed, `{"items":[{"product_id":1,`, 400, "INVALID_ARGUMENT", false},
		{"wrong type for quantity", "POST", "/api/v1/orders", keyed, `{"items":[{"product_id":1,"quantity":"two"}]}`, 400, "INVALID_ARGUMENT", false},
		{"wrong type for username", "POST", "/api/v1/users/register", nil, `{"username":42,"password":"password123"}`, 400, "INVALID_ARGUMENT", false},
		{"missing body", "POST", "/api/v1/users/register", nil, ``, 400, "INVALID_ARGUMENT", false},
		{"missing items", "POST", "/api/v1/orders", keyed, `{}`, 400, "INVALID_ARGUMENT", false},
		{"missing Idempotency-Key", "POST", "/api/v1/orders", alice, `{"items":[{"product_id":1,"quantity":1}]}`, 400, "INVALID_ARGUMENT", false},
		{"Idempotency-Key with a slash", "POST", "/api/v1/orders", alice.with("Idempotency-Key", "a/b"), `{"items":[{"product_id":1,"quantity":1}]}`, 400, "INVALID_ARGUMENT", false},
		{"Idempotency-Key of 65 characters", "POST", "/api/v1/orders", alice.with("Idempotency-Key", strings.Repeat("k", 65)), `{"items":[{"product_id":1,"quantity":1}]}`, 400, "INVALID_ARGUMENT", false},
		{"negative quantity", "POST", "/api/v1/orders", keyed, `{"items":[{"product_id":1,"quantity":-1}]}`, 400, "INVALID_ARGUMENT", false},
		{"huge quantity", "POST", "/api/v1/orders", keyed, `{"items":[{"product_id":1,"quantity":1000000}]}`, 400, "INVALID_ARGUMENT", false},
		{"51 items", "POST", "/api/v1/orders", keyed, items(51), 400, "INVALID_ARGUMENT", false},
		{"short username", "POST", "/api/v1/users/register", nil, `{"username":"al","password":"password123"}`, 400, "INVALID_ARGUMENT", false},
		{"short password", "POST", "/api/v1/users/register", nil, `{"username":"dave","password":"short"}`, 400, "INVALID_ARGUMENT", false},
		{"SQL-looking username", "POST", "/api/v1/users/register", nil, `{"username":"x'; DROP TABLE users;--","password":"password123"}`, 400, "INVALID_ARGUMENT", false},
		{"SQL-looking path ID", "GET", "/api/v1/products/1%20OR%201=1", nil, ``, 400, "INVALID_ARGUMENT", false},
		{"SQL-looking page", "GET", "/api/v1/products?page=1;DELETE", nil, ``, 400, "INVALID_ARGUMENT", false},
		{"page_size 101", "GET", "/api/v1/products?page_size=101", nil, ``, 400, "INVALID_ARGUMENT", false},
		{"page_size 0", "GET", "/api/v1/orders?page_size=0", alice, ``, 400, "INVALID_ARGUMENT", false},
		{"unknown pay method shape", "POST", fmt.Sprintf("/api/v1/orders/%d/pay", bobOrderID), alice.with("Idempotency-Key", "p"), `{"method":"Card; rm -rf"}`, 400, "INVALID_ARGUMENT", false},
		{"missing token", "GET", "/api/v1/orders", nil, ``, 401, "UNAUTHENTICATED", false},
		{"not a bearer token", "GET", "/api/v1/orders", header{"Authorization": "Basic YWxpY2U6cHc="}, ``, 401, "UNAUTHENTICATED", false},
		{"expired token", "GET", "/api/v1/orders", expired, ``, 401, "UNAUTHENTICATED", false},
		{"forged token", "GET", "/api/v1/orders", forged, ``, 401, "UNAUTHENTICATED", false},
		{"user creates a product", "POST", "/api/v1/products", alice, `{"name":"x","category":"c","price_cents":1,"stock":1}`, 403, "PERMISSION_DENIED", false},
		{"unknown route", "GET", "/api/v1/nope", nil, ``, 404, "NOT_FOUND", false},
		{"wrong method", "DELETE", "/api/v1/orders", alice, ``, 405, "METHOD_NOT_ALLOWED", false},
		{"wrong password", "POST", "/api/v1/users/login", nil, `{"username":"alice","password":"password124"}`, 401, "UNAUTHENTICATED", true},
		{"unknown user", "POST", "/api/v1/users/login", nil, `{"username":"nobody","password":"password123"}`, 401, "UNAUTHENTICATED", true},
		{"username taken", "POST", "/api/v1/users/register", nil, `{"username":"ALICE","password":"password123"}`, 409, "ALREADY_EXISTS", true},
		{"unknown product", "GET", "/api/v1/products/999", nil, ``, 404, "NOT_FOUND", true},
		{"order of an unknown product", "POST", "/api/v1/orders", keyed, `{"items":[{"product_id":999,"quantity":1}]}`, 404, "NOT_FOUND", true},
		{"stock short", "POST", "/api/v1/orders", alice.with("Idempotency-Key", "k2"), `{"items":[{"product_id":2,"quantity":11}]}`, 409, "INSUFFICIENT_STOCK", true},
		{"someone else's order", "GET", fmt.Sprintf("/api/v1/orders/%d", bobOrderID), alice, ``, 404, "NOT_FOUND", true},
		{"cancel someone else's order", "POST", fmt.Sprintf("/api/v1/orders/%d/cancel", bobOrderID), alice, ``, 404, "NOT_FOUND", true},
		{"pay someone else's order", "POST", fmt.Sprintf("/api/v1/orders/%d/pay", bobOrderID), alice.with("Idempotency-Key", "p"), `{"method":"card"}`, 404, "NOT_FOUND", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(g.fake.Calls())
			r := g.do(tc.method, tc.path, tc.h, tc.body)
			r.requireError(t, tc.wantStatus, tc.wantCode)
			reached := len(g.fake.Calls()) > before
			if reached != tc.reachesService {
				t.Fatalf("reached a service = %v, want %v", reached, tc.reachesService)
			}
		})
	}
}

func items(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"product_id":%d,"quantity":1}`, i+1)
	}
	return `{"items":[` + strings.Join(parts, ",") + `]}`
}

func TestOversizedBodiesGet413(t *testing.T) {
	g := startGateway(t, nil)
	const limit = 1 << 20
	tests := []struct {
		name    string
		size    int
		chunked bool
		want    int
	}{
		{"declared length over 1 MiB", limit + 1, false, http.StatusRequestEntityTooLarge},
		{"chunked body over 1 MiB", limit + 1, true, http.StatusRequestEntityTooLarge},
		{"exactly 1 MiB passes the door", limit, false, http.StatusCreated},
		{"chunked exactly 1 MiB passes the door", limit, true, http.StatusCreated},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Valid credentials padded with spaces to the wanted size.
			creds := fmt.Sprintf(`{"username":"user_%d","password":"password123"}`, i)
			body := creds + strings.Repeat(" ", tc.size-len(creds))
			req, err := http.NewRequest("POST", g.base+"/api/v1/users/register", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.chunked {
				// An unknown length makes the client send the body chunked.
				req.ContentLength = -1
				req.Body = io.NopCloser(struct{ io.Reader }{strings.NewReader(body)})
			}
			r := g.send(req)
			if tc.want == http.StatusRequestEntityTooLarge {
				r.requireError(t, tc.want, "PAYLOAD_TOO_LARGE")
				return
			}
			if r.Status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.want, r.Body)
			}
		})
	}
}

func TestServiceFailuresMapToHTTPStatuses(t *testing.T) {
	g := startGateway(t, nil)
	alice := g.signup("alice")
	keyed := alice.with("Idempotency-Key", "k")
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
	}{
		{"insufficient stock", errs.New(base.ErrorCode_INSUFFICIENT_STOCK, "short"), 409, "INSUFFICIENT_STOCK"},
		{"idempotency conflict", errs.New(base.ErrorCode_IDEMPOTENCY_CONFLICT, "key reused"), 422, "IDEMPOTENCY_CONFLICT"},
		{"failed precondition", errs.FailedPrecondition("not payable"), 409, "FAILED_PRECONDITION"},
		{"payment declined", errs.New(base.ErrorCode_PAYMENT_DECLINED, "declined"), 402, "PAYMENT_DECLINED"},
		{"service unavailable", errs.Unavailable("db down"), 503, "UNAVAILABLE"},
		{"service internal", errs.Internal("internal error"), 500, "INTERNAL"},
		{"rpc timeout", kerrors.ErrRPCTimeout.WithCause(errors.New("2s")), 504, "DEADLINE_EXCEEDED"},
		{"open circuit", kerrors.ErrServiceCircuitBreak, 503, "UNAVAILABLE"},
		{"no instance", kerrors.ErrNoInstance, 503, "UNAVAILABLE"},
		{"unexpected error", errors.New("driver: bad connection"), 500, "INTERNAL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g.fake.Fail("CreateOrder", tc.err)
			r := g.do("POST", "/api/v1/orders", keyed, `{"items":[{"product_id":1,"quantity":1}]}`)
			r.requireError(t, tc.wantStatus, tc.wantCode)
			if strings.Contains(string(r.Body), "driver") {
				t.Fatalf("body leaks the cause: %s", r.Body)
			}
		})
	}
}

func TestPaymentStatusCodes(t *testing.T) {
	g := startGateway(t, nil)
	alice := g.signup("alice")
	tests := []struct {
		method     string
		wantStatus int
		wantState  string
	}{
		{"card", http.StatusOK, "SUCCEEDED"},
		{"slow", http.StatusAccepted, "PENDING"},
	}
	for i, tc := range tests {
		t.Run(tc.wantState, func(t *testing.T) {
			o := g.do("POST", "/api/v1/orders", alice.with("Idempotency-Key", "o"+strconv.Itoa(i)), `{"items":[{"product_id":1,"quantity":1}]}`)
			id := int64(o.JSON(t)["order_id"].(float64))
			r := g.do("POST", fmt.Sprintf("/api/v1/orders/%d/pay", id), alice.with("Idempotency-Key", "p"), fmt.Sprintf(`{"method":%q}`, tc.method))
			if r.Status != tc.wantStatus || r.JSON(t)["status"] != tc.wantState {
				t.Fatalf("pay: %d %s, want %d %s", r.Status, r.Body, tc.wantStatus, tc.wantState)
			}
		})
	}
}

func TestCancelOnlyFromPendingPayment(t *testing.T) {
	g := startGateway(t, nil)
	alice := g.signup("alice")
	newOrder := func(key string) int64 {
		r := g.do("POST", "/api/v1/orders", alice.with("Idempotency-Key", key), `{"items":[{"product_id":1,"quantity":1}]}`)
		return int64(r.JSON(t)["order_id"].(float64))
	}
	pending := newOrder("a")
	r := g.do("POST", fmt.Sprintf("/api/v1/orders/%d/cancel", pending), alice, `{"reason":"changed my mind"}`)
	if o := r.JSON(t); r.Status != 200 || o["status"] != "CANCELLED" || o["cancel_reason"] != "changed my mind" {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	paid := newOrder("b")
	g.do("POST", fmt.Sprintf("/api/v1/orders/%d/pay", paid), alice.with("Idempotency-Key", "p"), `{"method":"card"}`)
	g.do("POST", fmt.Sprintf("/api/v1/orders/%d/cancel", paid), alice, ``).requireError(t, 409, "FAILED_PRECONDITION")
}

func TestAdminManagesProducts(t *testing.T) {
	g := startGateway(t, nil)
	admin := g.signup("Admin")
	r := g.do("POST", "/api/v1/products", admin, `{"name":"Go book","description":"","category":"books","price_cents":4200,"stock":3}`)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := int64(r.JSON(t)["product_id"].(float64))
	r = g.do("PUT", fmt.Sprintf("/api/v1/products/%d", id), admin, `{"price_cents":3900,"add_stock":2,"status":"INACTIVE"}`)
	if p := r.JSON(t); r.Status != 200 || p["price_cents"].(float64) != 3900 || p["stock"].(float64) != 5 || p["status"] != "INACTIVE" {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	user := g.signup("mallory")
	g.do("PUT", fmt.Sprintf("/api/v1/products/%d", id), user, `{"price_cents":1}`).requireError(t, 403, "PERMISSION_DENIED")
	g.do("PUT", "/api/v1/products/999", admin, `{"price_cents":1}`).requireError(t, 404, "NOT_FOUND")
}

func TestPanicBecomes500WithTheErrorBody(t *testing.T) {
	g := startGateway(t, nil)
	g.fake.Panic("ListProducts")
	g.do("GET", "/api/v1/products", nil, "").requireError(t, http.StatusInternalServerError, "INTERNAL")
	// The connection and the server survive the panic.
	if r := g.do("GET", "/api/v1/products/1", nil, ""); r.Status != 200 {
		t.Fatalf("after the panic: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(g.logs.String(), "fake ListProducts exploded") {
		t.Fatal("the panic was not logged")
	}
}

func TestRateLimitsAnswer429ThenRecover(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*config.Config)
		path   string
		authed bool
	}{
		{"per client IP", func(c *config.Config) { c.RateLimit.PerIP = config.BucketConfig{RPS: 2, Burst: 5} }, "/api/v1/products", false},
		{"per user", func(c *config.Config) { c.RateLimit.PerUser = config.BucketConfig{RPS: 2, Burst: 5} }, "/api/v1/orders", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := startGateway(t, tc.mutate)
			var h header
			if tc.authed {
				h = g.signup("alice")
			}
			for i := range 5 {
				if r := g.do("GET", tc.path, h, ""); r.Status != 200 {
					t.Fatalf("request %d of the burst: %d %s", i+1, r.Status, r.Body)
				}
			}
			before := len(g.fake.Calls())
			r := g.do("GET", tc.path, h, "")
			r.requireError(t, http.StatusTooManyRequests, "RATE_LIMITED")
			wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
			if err != nil || wait < 1 {
				t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
			}
			if len(g.fake.Calls()) != before {
				t.Fatal("a rate-limited request reached a service")
			}
			g.clock.Advance(time.Duration(wait) * time.Second)
			if r := g.do("GET", tc.path, h, ""); r.Status != 200 {
				t.Fatalf("after Retry-After: %d %s", r.Status, r.Body)
			}
		})
	}
}

func TestForwardedForCountsOnlyFromTrustedProxies(t *testing.T) {
	tests := []struct {
		name        string
		trusted     []string
		wantLimited bool
	}{
		{"untrusted peer: a forged X-Forwarded-For does not dodge the limit", nil, true},
		{"trusted proxy: each forwarded client has its own bucket", []string{"127.0.0.0/8"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := startGateway(t, func(c *config.Config) {
				c.RateLimit.PerIP = config.BucketConfig{RPS: 0.001, Burst: 2}
				c.HTTP.TrustedProxies = tc.trusted
			})
			var last response
			for i := range 3 {
				last = g.do("GET", "/api/v1/products/1", header{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i+1)}, "")
			}
			if limited := last.Status == http.StatusTooManyRequests; limited != tc.wantLimited {
				t.Fatalf("third request from a third forwarded IP: %d, want limited=%v", last.Status, tc.wantLimited)
			}
		})
	}
}

func TestPerUserLimitIsNotSharedBetweenUsers(t *testing.T) {
	g := startGateway(t, func(c *config.Config) { c.RateLimit.PerUser = config.BucketConfig{RPS: 0.001, Burst: 2} })
	alice, bob := g.signup("alice"), g.signup("bob")
	for range 2 {
		g.do("GET", "/api/v1/orders", alice, "")
	}
	g.do("GET", "/api/v1/orders", alice, "").requireError(t, 429, "RATE_LIMITED")
	if r := g.do("GET", "/api/v1/orders", bob, ""); r.Status != 200 {
		t.Fatalf("bob was limited by alice: %d", r.Status)
	}
}

func TestRequestIDIsKeptOrGeneratedAndCarriedIntoServiceCalls(t *testing.T) {
	g := startGateway(t, nil)
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"sane ID is kept", "client-req.42:a_b", true},
		{"absent ID is generated", "", false},
		{"ID with spaces is replaced", "two words", false},
		{"ID with a backslash is replaced", `a\b`, false},
		{"overlong ID is replaced", strings.Repeat("x", 129), false},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := header{}
			if tc.sent != "" {
				h["X-Request-ID"] = tc.sent
			}
			before := len(g.fake.Calls())
			// The product list is never cached: every request calls a service.
			r := g.do("GET", "/api/v1/products", h, "")
			id := r.Header.Get("X-Request-ID")
			if tc.kept != (id == tc.sent) || id == "" || seen[id] {
				t.Fatalf("X-Request-ID %q for sent %q (kept=%v)", id, tc.sent, tc.kept)
			}
			seen[id] = true
			calls := g.fake.Calls()[before:]
			if len(calls) != 1 || calls[0].RequestID != id {
				t.Fatalf("service saw request IDs %+v, want %q", calls, id)
			}
			if !strings.Contains(g.logs.String(), `"request_id":"`+id+`"`) {
				t.Fatalf("no log line carries request_id %q", id)
			}
		})
	}
}

func TestTraceContinuesIntoServiceCalls(t *testing.T) {
	g := startGateway(t, nil)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	before := len(g.fake.Calls())
	r := g.do("GET", "/api/v1/products/1", header{"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"}, "")
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	calls := g.fake.Calls()[before:]
	if len(calls) != 1 || calls[0].TraceID != traceID {
		t.Fatalf("service call carried trace %+v, want %s", calls, traceID)
	}
	if !strings.Contains(g.logs.String(), `"trace_id":"`+traceID+`"`) {
		t.Fatal("the access log line lacks the trace ID")
	}
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	g := startGateway(t, nil)
	if r := g.do("GET", "/healthz", nil, ""); r.Status != 200 || r.JSON(t)["status"] != "ok" {
		t.Fatalf("healthz: %d %s", r.Status, r.Body)
	}
	r := g.do("GET", "/readyz", nil, "")
	if m := r.JSON(t); r.Status != 200 || m["status"] != "ready" || len(m["services"].(map[string]any)) != 4 {
		t.Fatalf("readyz: %d %s", r.Status, r.Body)
	}

	g.fake.Fail("Ping:payment", kerrors.ErrNoInstance)
	r = g.do("GET", "/readyz", nil, "")
	m := r.JSON(t)
	if r.Status != http.StatusServiceUnavailable || m["code"] != "UNAVAILABLE" || !strings.Contains(m["message"].(string), "payment") {
		t.Fatalf("readyz with payment down: %d %s", r.Status, r.Body)
	}
	if svc := m["services"].(map[string]any); svc["payment"].(map[string]any)["ok"] != false || svc["order"].(map[string]any)["ok"] != true {
		t.Fatalf("services: %v", svc)
	}

	r = g.do("GET", "/metrics", nil, "")
	if r.Status != 200 || !strings.Contains(string(r.Body), `gateway_http_requests_total{code="503",method="GET",route="/readyz"} 1`) {
		t.Fatalf("metrics: %d\n%s", r.Status, r.Body)
	}
}

func TestProductReadsAreCachedBrieflyAndForgottenOnTheGatewaysOwnWrites(t *testing.T) {
	g := startGateway(t, nil)
	admin, alice := g.signup("admin"), g.signup("alice")
	reads := func() int {
		n := 0
		for _, c := range g.fake.Calls() {
			if c.Method == "GetProduct" {
				n++
			}
		}
		return n
	}
	stock := func(h header) (float64, int) {
		t.Helper()
		r := g.do("GET", "/api/v1/products/1", h, "")
		if r.Status != 200 {
			t.Fatalf("read: %d %s", r.Status, r.Body)
		}
		return r.JSON(t)["stock"].(float64), reads()
	}
	initial, n := stock(nil)
	var orderID int64
	steps := []struct {
		name      string
		before    func()
		h         header
		wantStock float64
		// called: the read reached the product service.
		called bool
	}{
		{"a second read within the TTL is served from memory", nil, nil, initial, false},
		{"Cache-Control: no-cache reads through", nil, header{"Cache-Control": "no-cache"}, initial, true},
		{"after the TTL the product is read again", func() { g.clock.Advance(1100 * time.Millisecond) }, nil, initial, true},
		{"an order through this gateway forgets the product", func() {
			r := g.do("POST", "/api/v1/orders", alice.with("Idempotency-Key", "cache-1"), `{"items":[{"product_id":1,"quantity":2}]}`)
			if r.Status != 201 {
				t.Fatalf("order: %d %s", r.Status, r.Body)
			}
			orderID = int64(r.JSON(t)["order_id"].(float64))
		}, nil, initial - 2, true},
		{"and is then cached again", nil, nil, initial - 2, false},
		{"a cancel forgets it", func() {
			if r := g.do("POST", fmt.Sprintf("/api/v1/orders/%d/cancel", orderID), alice, ""); r.Status != 200 {
				t.Fatalf("cancel order %d: %d %s", orderID, r.Status, r.Body)
			}
		}, nil, initial, true},
		{"an update forgets it", func() {
			if r := g.do("PUT", "/api/v1/products/1", admin, `{"add_stock":5}`); r.Status != 200 {
				t.Fatalf("update: %d %s", r.Status, r.Body)
			}
		}, nil, initial + 5, true},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		got, after := stock(st.h)
		if got != st.wantStock || (after > n) != st.called {
			t.Fatalf("%s: stock %v (want %v), product service read %d times (reached it: %v, want %v)", st.name, got, st.wantStock, after-n, after > n, st.called)
		}
		n = after
	}
	metrics := string(g.do("GET", "/metrics", nil, "").Body)
	for _, want := range []string{`cache_lookups_total{cache="gateway_product",result="hit"} 2`, `cache_lookups_total{cache="gateway_product",result="bypass"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestProductCacheOffReadsEveryTime(t *testing.T) {
	g := startGateway(t, func(c *config.Config) { c.ProductCache.TTL = 0 })
	for range 3 {
		if r := g.do("GET", "/api/v1/products/1", nil, ""); r.Status != 200 {
			t.Fatalf("read: %d %s", r.Status, r.Body)
		}
	}
	n := 0
	for _, c := range g.fake.Calls() {
		if c.Method == "GetProduct" {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d product service reads for 3 requests with the cache off, want 3", n)
	}
}
