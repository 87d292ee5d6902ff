package handler

import (
	"bytes"
	"context"
	"net/http"

	"github.com/cloudwego/hertz/pkg/app"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/product"
)

// ListProducts serves GET /api/v1/products?page=&page_size=&category=.
func (h *Handler) ListProducts(ctx context.Context, c *app.RequestContext) {
	resp, err := h.listProducts(ctx, c.Query("page"), c.Query("page_size"), c.Query("category"), c.QueryArgs().Has("category"))
	h.respond(ctx, c, http.StatusOK, resp, err)
}

func (h *Handler) listProducts(ctx context.Context, pageRaw, sizeRaw, category string, hasCategory bool) (productPage, error) {
	pg, err := parsePage(pageRaw, sizeRaw)
	if err != nil {
		return productPage{}, err
	}
	req := &product.ListProductsRequest{Page: &base.PageRequest{Page: pg.Page, PageSize: pg.PageSize}}
	if hasCategory {
		if err := checkText("category", category, 1, MaxCategoryLen); err != nil {
			return productPage{}, err
		}
		req.Category = &category
	}
	resp, err := h.clients.Products.ListProducts(ctx, req)
	if err != nil {
		return productPage{}, err
	}
	out := productPage{Items: make([]productJSON, 0, len(resp.Items)), Page: pg.Page, PageSize: pg.PageSize}
	for _, p := range resp.Items {
		out.Items = append(out.Items, toProductJSON(p))
	}
	if resp.Page != nil {
		out.Total = resp.Page.Total
	}
	return out, nil
}

// GetProduct serves GET /api/v1/products/{id}, from the gateway's
// micro-cache unless the request says Cache-Control: no-cache.
func (h *Handler) GetProduct(ctx context.Context, c *app.RequestContext) {
	fresh := bytes.Contains(c.GetHeader("Cache-Control"), []byte("no-cache"))
	resp, err := h.getProduct(ctx, c.Param("id"), fresh)
	h.respond(ctx, c, http.StatusOK, resp, err)
}

func (h *Handler) getProduct(ctx context.Context, rawID string, fresh bool) (productJSON, error) {
	id, err := parseID("product id", rawID)
	if err != nil {
		return productJSON{}, err
	}
	p, err := h.products.Get(ctx, id, fresh, h.loadProduct)
	if err != nil {
		return productJSON{}, err
	}
	return toProductJSON(p), nil
}

// loadProduct reads a product from the product service.
func (h *Handler) loadProduct(ctx context.Context, id int64) (*product.Product, error) {
	resp, err := h.clients.Products.GetProduct(ctx, &product.GetProductRequest{ProductId: id})
	if err != nil {
		return nil, err
	}
	if resp.Product == nil {
		return nil, errEmpty("product")
	}
	return resp.Product, nil
}

// CreateProduct serves POST /api/v1/products (admin only).
func (h *Handler) CreateProduct(ctx context.Context, c *app.RequestContext) {
	resp, err := h.createProduct(ctx, c.Request.Body())
	h.respond(ctx, c, http.StatusCreated, resp, err)
}

func (h *Handler) createProduct(ctx context.Context, body []byte) (createProductResponse, error) {
	req, err := decodeCreateProduct(body)
	if err != nil {
		return createProductResponse{}, err
	}
	resp, err := h.clients.Products.CreateProduct(ctx, &product.CreateProductRequest{
		Name:         req.Name,
		Description:  req.Description,
		Category:     req.Category,
		PriceCents:   req.PriceCents,
		InitialStock: req.Stock,
	})
	if err != nil {
		return createProductResponse{}, err
	}
	if resp.Product == nil {
		return createProductResponse{}, errEmpty("product")
	}
	return createProductResponse{ProductID: resp.Product.ProductId}, nil
}

// UpdateProduct serves PUT /api/v1/products/{id} (admin only).
func (h *Handler) UpdateProduct(ctx context.Context, c *app.RequestContext) {
	resp, err := h.updateProduct(ctx, c.Param("id"), c.Request.Body())
	h.respond(ctx, c, http.StatusOK, resp, err)
}

func (h *Handler) updateProduct(ctx context.Context, rawID string, body []byte) (productJSON, error) {
	id, err := parseID("product id", rawID)
	if err != nil {
		return productJSON{}, err
	}
	req, err := decodeUpdateProduct(body)
	if err != nil {
		return productJSON{}, err
	}
	upd := &product.UpdateProductRequest{
		ProductId:   id,
		Name:        req.Name,
		Description: req.Description,
		Category:    req.Category,
		PriceCents:  req.PriceCents,
		AddStock:    req.AddStock,
	}
	if req.Status != nil {
		st := productStatusByName[*req.Status]
		upd.Status = &st
	}
	resp, err := h.clients.Products.UpdateProduct(ctx, upd)
	// Even a failed call may have applied.
	h.products.Forget(id)
	if err != nil {
		return productJSON{}, err
	}
	if resp.Product == nil {
		return productJSON{}, errEmpty("product")
	}
	return toProductJSON(resp.Product), nil
}
