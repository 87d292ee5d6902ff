package router

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/cloudwego/kitex/client/callopt"
	"go.opentelemetry.io/otel/trace"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/observability"
)

// call is one request that reached a fake service.
type call struct {
	Method    string
	RequestID string
	TraceID   string
	Req       any
}

// platform is an in-memory stand-in for the four services, small but
// faithful to their contracts (ownership scoping, idempotency keys, stock).
// Methods can be made to fail or panic, and every call is recorded with the
// request and trace IDs its context carried.
type platform struct {
	mu       sync.Mutex
	calls    []call
	fail     map[string]error
	panics   map[string]bool
	users    map[int64]*user.User
	password map[int64]string
	products map[int64]*product.Product
	orders   map[int64]*order.Order
	orderKey map[string]int64
	payments map[int64]*payment.Payment
	payKey   map[string]int64
	nextID   int64
	now      int64
}

func newPlatform() *platform {
	p := &platform{
		fail: map[string]error{}, panics: map[string]bool{},
		users: map[int64]*user.User{}, password: map[int64]string{},
		products: map[int64]*product.Product{}, orders: map[int64]*order.Order{}, orderKey: map[string]int64{},
		payments: map[int64]*payment.Payment{}, payKey: map[string]int64{},
		nextID: 100, now: 1_700_000_000_000,
	}
	for i, c := range []string{"books", "books", "games"} {
		id := int64(i + 1)
		p.products[id] = &product.Product{
			ProductId: id, Name: fmt.Sprintf("item %d", id), Category: c, PriceCents: 1000 * id,
			Status: product.ProductStatus_ACTIVE, Stock: 10, CreatedAtUnixMs: p.now, UpdatedAtUnixMs: p.now,
		}
	}
	return p
}

// enter records a call and applies the configured failure; callers hold
// p.mu afterwards.
func (p *platform) enter(ctx context.Context, method string, req any) error {
	p.mu.Lock()
	p.calls = append(p.calls, call{
		Method: method, RequestID: observability.RequestID(ctx),
		TraceID: trace.SpanContextFromContext(ctx).TraceID().String(), Req: req,
	})
	if p.panics[method] {
		p.mu.Unlock()
		panic("fake " + method + " exploded")
	}
	return p.fail[method]
}

func (p *platform) id() int64 { p.nextID++; return p.nextID }

// Calls returns the methods called so far, Ping excluded.
func (p *platform) Calls() []call {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []call
	for _, c := range p.calls {
		if c.Method != "Ping" {
			out = append(out, c)
		}
	}
	return out
}

func (p *platform) Fail(method string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail[method] = err
}

func (p *platform) Panic(method string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.panics[method] = true
}

type fakeUsers struct{ *platform }
type fakeProducts struct{ *platform }
type fakeOrders struct{ *platform }
type fakePayments struct{ *platform }

func ping(p *platform, ctx context.Context, service string) (*base.PingResponse, error) {
	if err := p.enter(ctx, "Ping", service); err != nil {
		p.mu.Unlock()
		return nil, err
	}
	if err := p.fail["Ping:"+service]; err != nil {
		p.mu.Unlock()
		return nil, err
	}
	p.mu.Unlock()
	return &base.PingResponse{Service: service, Instance: "127.0.0.1:1", TimeUnixMs: 1}, nil
}

func (f fakeUsers) Ping(ctx context.Context, _ *base.PingRequest, _ ...callopt.Option) (*base.PingResponse, error) {
	return ping(f.platform, ctx, "user")
}

func (f fakeUsers) Register(ctx context.Context, req *user.RegisterRequest, _ ...callopt.Option) (*user.RegisterResponse, error) {
	err := f.enter(ctx, "Register", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	for _, u := range f.users {
		if strings.EqualFold(u.Username, req.Username) {
			return nil, errs.AlreadyExists("username %q is taken", req.Username)
		}
	}
	u := &user.User{UserId: f.id(), Username: req.Username, CreatedAtUnixMs: f.now}
	f.users[u.UserId], f.password[u.UserId] = u, req.Password
	return &user.RegisterResponse{User: u}, nil
}

func (f fakeUsers) Login(ctx context.Context, req *user.LoginRequest, _ ...callopt.Option) (*user.LoginResponse, error) {
	err := f.enter(ctx, "Login", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	for id, u := range f.users {
		if strings.EqualFold(u.Username, req.Username) && f.password[id] == req.Password {
			return &user.LoginResponse{User: u}, nil
		}
	}
	return nil, errs.New(base.ErrorCode_UNAUTHENTICATED, "wrong username or password")
}

func (f fakeUsers) GetUser(ctx context.Context, req *user.GetUserRequest, _ ...callopt.Option) (*user.GetUserResponse, error) {
	err := f.enter(ctx, "GetUser", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	u, ok := f.users[req.UserId]
	if !ok {
		return nil, errs.NotFound("user %d", req.UserId)
	}
	return &user.GetUserResponse{User: u}, nil
}

func (f fakeProducts) Ping(ctx context.Context, _ *base.PingRequest, _ ...callopt.Option) (*base.PingResponse, error) {
	return ping(f.platform, ctx, "product")
}

func (f fakeProducts) ListProducts(ctx context.Context, req *product.ListProductsRequest, _ ...callopt.Option) (*product.ListProductsResponse, error) {
	err := f.enter(ctx, "ListProducts", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var all []*product.Product
	for _, p := range f.products {
		if req.Category == nil || p.Category == *req.Category {
			all = append(all, p)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ProductId < all[j].ProductId })
	from := min(int(req.Page.Page-1)*int(req.Page.PageSize), len(all))
	to := min(from+int(req.Page.PageSize), len(all))
	return &product.ListProductsResponse{Items: all[from:to], Page: &base.PageInfo{Page: req.Page.Page, PageSize: req.Page.PageSize, Total: int64(len(all))}}, nil
}

func (f fakeProducts) GetProduct(ctx context.Context, req *product.GetProductRequest, _ ...callopt.Option) (*product.GetProductResponse, error) {
	err := f.enter(ctx, "GetProduct", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	p, ok := f.products[req.ProductId]
	if !ok {
		return nil, errs.NotFound("product %d not found", req.ProductId)
	}
	// A copy, as a real client decodes a new one: what the gateway keeps
	// must not change when the fake's stock does.
	cp := *p
	return &product.GetProductResponse{Product: &cp}, nil
}

func (f fakeProducts) CreateProduct(ctx context.Context, req *product.CreateProductRequest, _ ...callopt.Option) (*product.CreateProductResponse, error) {
	err := f.enter(ctx, "CreateProduct", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	p := &product.Product{
		ProductId: f.id(), Name: req.Name, Description: req.Description, Category: req.Category,
		PriceCents: req.PriceCents, Stock: req.InitialStock, Status: product.ProductStatus_ACTIVE,
	}
	f.products[p.ProductId] = p
	return &product.CreateProductResponse{Product: p}, nil
}

func (f fakeProducts) UpdateProduct(ctx context.Context, req *product.UpdateProductRequest, _ ...callopt.Option) (*product.UpdateProductResponse, error) {
	err := f.enter(ctx, "UpdateProduct", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	p, ok := f.products[req.ProductId]
	if !ok {
		return nil, errs.NotFound("product %d not found", req.ProductId)
	}
	if req.PriceCents != nil {
		p.PriceCents = *req.PriceCents
	}
	if req.AddStock != nil {
		p.Stock += *req.AddStock
	}
	if req.Status != nil {
		p.Status = *req.Status
	}
	return &product.UpdateProductResponse{Product: p}, nil
}

func (f fakeOrders) Ping(ctx context.Context, _ *base.PingRequest, _ ...callopt.Option) (*base.PingResponse, error) {
	return ping(f.platform, ctx, "order")
}

func (f fakeOrders) CreateOrder(ctx context.Context, req *order.CreateOrderRequest, _ ...callopt.Option) (*order.CreateOrderResponse, error) {
	err := f.enter(ctx, "CreateOrder", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%d/%s", req.UserId, req.IdempotencyKey)
	if id, ok := f.orderKey[key]; ok {
		return &order.CreateOrderResponse{Order: f.orders[id], Created: false}, nil
	}
	o := &order.Order{OrderId: f.id(), UserId: req.UserId, Status: order.OrderStatus_PENDING_PAYMENT, CreatedAtUnixMs: f.now, UpdatedAtUnixMs: f.now}
	for _, in := range req.Items {
		p, ok := f.products[in.ProductId]
		if !ok {
			return nil, errs.NotFound("products [%d] do not exist", in.ProductId)
		}
		if p.Stock < int64(in.Quantity) {
			return nil, errs.New(base.ErrorCode_INSUFFICIENT_STOCK, "product %d: %d requested, %d available", p.ProductId, in.Quantity, p.Stock)
		}
		sub := p.PriceCents * int64(in.Quantity)
		o.Items = append(o.Items, &order.OrderItem{ProductId: p.ProductId, Name: p.Name, UnitPriceCents: p.PriceCents, Quantity: in.Quantity, SubtotalCents: sub})
		o.TotalCents += sub
	}
	for _, in := range req.Items {
		f.products[in.ProductId].Stock -= int64(in.Quantity)
	}
	f.orders[o.OrderId], f.orderKey[key] = o, o.OrderId
	return &order.CreateOrderResponse{Order: o, Created: true}, nil
}

func (f fakeOrders) owned(id, userID int64) (*order.Order, error) {
	o, ok := f.orders[id]
	if !ok || o.UserId != userID {
		return nil, errs.NotFound("order %d not found", id)
	}
	return o, nil
}

func (f fakeOrders) GetOrder(ctx context.Context, req *order.GetOrderRequest, _ ...callopt.Option) (*order.GetOrderResponse, error) {
	err := f.enter(ctx, "GetOrder", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	o, err := f.owned(req.OrderId, req.UserId)
	if err != nil {
		return nil, err
	}
	return &order.GetOrderResponse{Order: o}, nil
}

func (f fakeOrders) ListOrders(ctx context.Context, req *order.ListOrdersRequest, _ ...callopt.Option) (*order.ListOrdersResponse, error) {
	err := f.enter(ctx, "ListOrders", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	var mine []*order.Order
	for _, o := range f.orders {
		if o.UserId == req.UserId {
			mine = append(mine, o)
		}
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].OrderId > mine[j].OrderId })
	return &order.ListOrdersResponse{Items: mine, Page: &base.PageInfo{Page: req.Page.Page, PageSize: req.Page.PageSize, Total: int64(len(mine))}}, nil
}

func (f fakeOrders) CancelOrder(ctx context.Context, req *order.CancelOrderRequest, _ ...callopt.Option) (*order.CancelOrderResponse, error) {
	err := f.enter(ctx, "CancelOrder", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	o, err := f.owned(req.OrderId, req.UserId)
	if err != nil {
		return nil, err
	}
	if o.Status != order.OrderStatus_PENDING_PAYMENT {
		return nil, errs.FailedPrecondition("order %d is %s", o.OrderId, o.Status)
	}
	o.Status, o.CancelReason = order.OrderStatus_CANCELLED, req.Reason
	for _, it := range o.Items {
		f.products[it.ProductId].Stock += int64(it.Quantity)
	}
	return &order.CancelOrderResponse{Order: o}, nil
}

func (f fakePayments) Ping(ctx context.Context, _ *base.PingRequest, _ ...callopt.Option) (*base.PingResponse, error) {
	return ping(f.platform, ctx, "payment")
}

// Pay settles at once, except that the method "slow" stays PENDING.
func (f fakePayments) Pay(ctx context.Context, req *payment.PayRequest, _ ...callopt.Option) (*payment.PayResponse, error) {
	err := f.enter(ctx, "Pay", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	o, err := fakeOrders(f).owned(req.OrderId, req.UserId)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%d/%s", req.OrderId, req.IdempotencyKey)
	if id, ok := f.payKey[key]; ok {
		return &payment.PayResponse{Payment: f.payments[id], Created: false}, nil
	}
	if o.Status != order.OrderStatus_PENDING_PAYMENT {
		return nil, errs.FailedPrecondition("order %d is %s", o.OrderId, o.Status)
	}
	p := &payment.Payment{
		PaymentId: f.id(), OrderId: o.OrderId, UserId: req.UserId, AmountCents: o.TotalCents, Method: req.Method,
		Status: payment.PaymentStatus_SUCCEEDED, CreatedAtUnixMs: f.now, UpdatedAtUnixMs: f.now,
	}
	if req.Method == "slow" {
		p.Status = payment.PaymentStatus_PENDING
	} else {
		o.Status = order.OrderStatus_PAID
	}
	f.payments[p.PaymentId], f.payKey[key] = p, p.PaymentId
	return &payment.PayResponse{Payment: p, Created: true}, nil
}

func (f fakePayments) GetPayment(ctx context.Context, req *payment.GetPaymentRequest, _ ...callopt.Option) (*payment.GetPaymentResponse, error) {
	err := f.enter(ctx, "GetPayment", req)
	defer f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	p, ok := f.payments[req.PaymentId]
	if !ok || p.UserId != req.UserId {
		return nil, errs.NotFound("payment %d not found", req.PaymentId)
	}
	return &payment.GetPaymentResponse{Payment: p}, nil
}
