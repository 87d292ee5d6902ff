package gwbench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// Seed is what the benchmark creates through the gateway's API before
// measuring: an admin (the shipped config makes "admin" one) and one
// product with stock for every order the run may create.
type Seed struct {
	Token     string
	ProductID int64
}

// SeedPlatform registers and logs in the admin and creates the product
// with stock units through the gateway at base, then makes one call that
// reaches each service (so idle memory is measured after a first call).
func SeedPlatform(ctx context.Context, base, password string, stock int64) (Seed, error) {
	var s Seed
	creds := map[string]string{"username": "admin", "password": password}
	if err := call(ctx, http.MethodPost, base+"/api/v1/users/register", "", creds, http.StatusCreated, nil); err != nil {
		return s, err
	}
	var login struct {
		Token string `json:"token"`
		Role  string `json:"role"`
	}
	if err := call(ctx, http.MethodPost, base+"/api/v1/users/login", "", creds, http.StatusOK, &login); err != nil {
		return s, err
	}
	if login.Role != "admin" {
		return s, fmt.Errorf("login as admin gave role %q: the gateway config no longer makes %q an admin", login.Role, "admin")
	}
	s.Token = login.Token
	product := map[string]any{
		"name":        "Benchmark pour-over kettle",
		"description": "A 1.2 l gooseneck kettle with a thermometer in the lid: the benchmark's one product, read from the cache and ordered.",
		"category":    "gear",
		"price_cents": 4599,
		"stock":       stock,
	}
	var created struct {
		ProductID int64 `json:"product_id"`
	}
	if err := call(ctx, http.MethodPost, base+"/api/v1/products", s.Token, product, http.StatusCreated, &created); err != nil {
		return s, err
	}
	s.ProductID = created.ProductID
	// The user and product services have answered above; one read each
	// for order and payment (an empty list, an unknown payment).
	if err := call(ctx, http.MethodGet, base+"/api/v1/orders?page=1&page_size=1", s.Token, nil, http.StatusOK, nil); err != nil {
		return s, err
	}
	return s, call(ctx, http.MethodGet, base+"/api/v1/payments/1", s.Token, nil, http.StatusNotFound, nil)
}

// call makes one JSON request and decodes the answer into out (if set);
// any status but want is an error.
func call(ctx context.Context, method, url, token string, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, url, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, url, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, url, err)
		}
	}
	return nil
}
