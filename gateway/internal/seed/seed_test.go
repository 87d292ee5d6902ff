package seed

import (
	"context"
	"fmt"
	"testing"

	"github.com/cloudwego/kitex/client/callopt"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
)

type fakeCatalog struct {
	products []*product.Product
	users    map[string]bool
	created  int
	failList error
}

func (f *fakeCatalog) Ping(context.Context, *base.PingRequest, ...callopt.Option) (*base.PingResponse, error) {
	return &base.PingResponse{}, nil
}

func (f *fakeCatalog) ListProducts(_ context.Context, req *product.ListProductsRequest, _ ...callopt.Option) (*product.ListProductsResponse, error) {
	if f.failList != nil {
		return nil, f.failList
	}
	var in []*product.Product
	for _, p := range f.products {
		if p.Category == *req.Category {
			in = append(in, p)
		}
	}
	from := min(int((req.Page.Page-1)*req.Page.PageSize), len(in))
	to := min(from+int(req.Page.PageSize), len(in))
	return &product.ListProductsResponse{Items: in[from:to], Page: &base.PageInfo{Total: int64(len(in))}}, nil
}

func (f *fakeCatalog) CreateProduct(_ context.Context, req *product.CreateProductRequest, _ ...callopt.Option) (*product.CreateProductResponse, error) {
	f.created++
	p := &product.Product{ProductId: int64(len(f.products) + 1), Name: req.Name, Category: req.Category, Stock: req.InitialStock}
	f.products = append(f.products, p)
	return &product.CreateProductResponse{Product: p}, nil
}

func (f *fakeCatalog) Register(_ context.Context, req *user.RegisterRequest, _ ...callopt.Option) (*user.RegisterResponse, error) {
	if f.users[req.Username] {
		return nil, errs.AlreadyExists("taken")
	}
	f.users[req.Username] = true
	return &user.RegisterResponse{User: &user.User{Username: req.Username}}, nil
}

func TestRunSeedsOnceAndIsIdempotent(t *testing.T) {
	f := &fakeCatalog{users: map[string]bool{}}
	ctx := context.Background()
	first, err := Run(ctx, f, f, "admin", "password123", Catalog)
	if err != nil {
		t.Fatal(err)
	}
	if !first.AdminCreated || first.ProductsCreated != len(Catalog) || first.ProductsExisting != 0 {
		t.Fatalf("first run: %+v", first)
	}
	second, err := Run(ctx, f, f, "admin", "password123", Catalog)
	if err != nil {
		t.Fatal(err)
	}
	if second.AdminCreated || second.ProductsCreated != 0 || second.ProductsExisting != len(Catalog) || f.created != len(Catalog) {
		t.Fatalf("second run: %+v, %d created in all", second, f.created)
	}
}

func TestRunCreatesOnlyTheMissingProducts(t *testing.T) {
	f := &fakeCatalog{users: map[string]bool{"admin": true}}
	// Fill "books" past one page, with one demo book already there.
	for i := range 150 {
		f.products = append(f.products, &product.Product{Name: fmt.Sprintf("other book %d", i), Category: "books"})
	}
	f.products = append(f.products, &product.Product{Name: Catalog[0].Name, Category: Catalog[0].Category})
	res, err := Run(context.Background(), f, f, "admin", "password123", Catalog)
	if err != nil {
		t.Fatal(err)
	}
	if res.AdminCreated || res.ProductsExisting != 1 || res.ProductsCreated != len(Catalog)-1 {
		t.Fatalf("result %+v", res)
	}
}

func TestRunStopsOnAListingError(t *testing.T) {
	f := &fakeCatalog{users: map[string]bool{}, failList: errs.Unavailable("down")}
	_, err := Run(context.Background(), f, f, "admin", "password123", Catalog)
	if !errs.Is(err, base.ErrorCode_UNAVAILABLE) || f.created != 0 {
		t.Fatalf("err %v, %d created", err, f.created)
	}
}

func TestCatalogIsADozenValidProducts(t *testing.T) {
	names := map[string]bool{}
	categories := map[string]bool{}
	for _, p := range Catalog {
		if names[p.Name] || p.PriceCents <= 0 || p.Stock <= 0 || p.Category == "" {
			t.Errorf("bad demo product %+v", p)
		}
		names[p.Name], categories[p.Category] = true, true
	}
	if len(Catalog) != 12 || len(categories) < 3 {
		t.Fatalf("%d products in %d categories", len(Catalog), len(categories))
	}
}
