// Package seed fills an empty platform with a small demo catalog and an
// admin user, so a newcomer has something to order right away. It is
// idempotent: a product whose name is already listed in its category, or an
// admin that is already registered, is left alone.
package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudwego/kitex/client/callopt"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
)

// Product is one demo product.
type Product struct {
	Name, Description, Category string
	PriceCents, Stock           int64
}

// Catalog is the demo catalog: a dozen products in three categories.
var Catalog = []Product{
	{"The Go Programming Language", "Donovan & Kernighan, the classic.", "books", 3999, 25},
	{"Designing Data-Intensive Applications", "Kleppmann on storage, streams and consistency.", "books", 4599, 20},
	{"Site Reliability Engineering", "How Google runs production systems.", "books", 3599, 15},
	{"Database Internals", "Petrov on B-trees, LSM trees and consensus.", "books", 4199, 12},
	{"Espresso Beans 1 kg", "Dark roast, chocolate and hazelnut.", "coffee", 2490, 50},
	{"Filter Beans 500 g", "Light roast from Ethiopia, floral.", "coffee", 1590, 60},
	{"Ceramic Pour-Over Dripper", "Size 02, white.", "coffee", 2200, 30},
	{"Burr Grinder", "Conical burrs, 40 settings.", "coffee", 8900, 10},
	{"Mechanical Keyboard", "Tenkeyless, brown switches.", "gear", 11900, 8},
	{"Ergonomic Mouse", "Vertical grip, wireless.", "gear", 5900, 14},
	{"27-inch Monitor", "4K IPS, USB-C.", "gear", 32900, 5},
	{"Laptop Stand", "Aluminium, adjustable height.", "gear", 3900, 40},
}

// ProductClient is the part of the product service the seed calls.
type ProductClient interface {
	Ping(ctx context.Context, req *base.PingRequest, opts ...callopt.Option) (*base.PingResponse, error)
	ListProducts(ctx context.Context, req *product.ListProductsRequest, opts ...callopt.Option) (*product.ListProductsResponse, error)
	CreateProduct(ctx context.Context, req *product.CreateProductRequest, opts ...callopt.Option) (*product.CreateProductResponse, error)
}

// UserClient is the part of the user service the seed calls.
type UserClient interface {
	Ping(ctx context.Context, req *base.PingRequest, opts ...callopt.Option) (*base.PingResponse, error)
	Register(ctx context.Context, req *user.RegisterRequest, opts ...callopt.Option) (*user.RegisterResponse, error)
}

// Result counts what a run did.
type Result struct {
	AdminCreated     bool
	ProductsCreated  int
	ProductsExisting int
}

// WaitReady pings both services until they answer or ctx ends: `make run`
// starts the seed right after the services, which register in etcd about a
// second after they listen.
func WaitReady(ctx context.Context, products ProductClient, users UserClient) error {
	for {
		_, perr := products.Ping(ctx, &base.PingRequest{})
		_, uerr := users.Ping(ctx, &base.PingRequest{})
		if perr == nil && uerr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("services not ready (product: %v, user: %v): %w", perr, uerr, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Run registers the admin (when missing) and creates the missing catalog
// products.
func Run(ctx context.Context, products ProductClient, users UserClient, adminName, adminPassword string, catalog []Product) (Result, error) {
	var res Result
	_, err := users.Register(ctx, &user.RegisterRequest{Username: adminName, Password: adminPassword})
	switch {
	case err == nil:
		res.AdminCreated = true
	case !errs.Is(err, base.ErrorCode_ALREADY_EXISTS):
		return res, fmt.Errorf("register admin %q: %w", adminName, err)
	}

	existing := map[string]map[string]bool{}
	for _, p := range catalog {
		names, ok := existing[p.Category]
		if !ok {
			names, err = listNames(ctx, products, p.Category)
			if err != nil {
				return res, err
			}
			existing[p.Category] = names
		}
		if names[p.Name] {
			res.ProductsExisting++
			continue
		}
		if _, err := products.CreateProduct(ctx, &product.CreateProductRequest{
			Name: p.Name, Description: p.Description, Category: p.Category,
			PriceCents: p.PriceCents, InitialStock: p.Stock,
		}); err != nil {
			return res, fmt.Errorf("create product %q: %w", p.Name, err)
		}
		names[p.Name] = true
		res.ProductsCreated++
	}
	return res, nil
}

// listNames returns the names of every product listed in category.
func listNames(ctx context.Context, products ProductClient, category string) (map[string]bool, error) {
	names := map[string]bool{}
	for page := int32(1); ; page++ {
		resp, err := products.ListProducts(ctx, &product.ListProductsRequest{
			Page:     &base.PageRequest{Page: page, PageSize: 100},
			Category: &category,
		})
		if err != nil {
			return nil, fmt.Errorf("list products in %q: %w", category, err)
		}
		for _, p := range resp.Items {
			names[p.Name] = true
		}
		if len(resp.Items) < 100 || resp.Page == nil || int64(page)*100 >= resp.Page.Total {
			return names, nil
		}
	}
}
