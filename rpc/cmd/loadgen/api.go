package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// api calls the gateway's REST API, as a browser or mobile client would.
type api struct {
	base string
	http *http.Client
}

func newAPI(base string, conns int, timeout time.Duration) *api {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// One kept-alive connection per worker: the load measures the platform,
	// not TCP handshakes.
	tr.MaxIdleConns = conns * 2
	tr.MaxIdleConnsPerHost = conns * 2
	return &api{base: base, http: &http.Client{Transport: tr, Timeout: timeout}}
}

// apiError is a non-2xx answer: the HTTP status and the platform's error
// code (INSUFFICIENT_STOCK, UNAVAILABLE, ...).
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// errorKind names the error for the report: "503 UNAVAILABLE", "transport".
func errorKind(err error) string {
	var ae *apiError
	if errors.As(err, &ae) {
		return strconv.Itoa(ae.Status) + " " + ae.Code
	}
	return "transport"
}

func (a *api) do(ctx context.Context, method, path, token, idemKey string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		ae := &apiError{Status: resp.StatusCode}
		_ = json.Unmarshal(raw, ae)
		return resp.StatusCode, ae
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %s: %w", method, path, raw, err)
		}
	}
	return resp.StatusCode, nil
}

// session logs username in, registering it first when it does not exist
// yet, and returns the bearer token.
func (a *api) session(ctx context.Context, username, password string) (string, error) {
	creds := map[string]string{"username": username, "password": password}
	if _, err := a.do(ctx, http.MethodPost, "/api/v1/users/register", "", "", creds, nil); err != nil {
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status != http.StatusConflict {
			return "", fmt.Errorf("register %s: %w", username, err)
		}
	}
	var out struct {
		Token string `json:"token"`
	}
	if _, err := a.do(ctx, http.MethodPost, "/api/v1/users/login", "", "", creds, &out); err != nil {
		return "", fmt.Errorf("login %s: %w", username, err)
	}
	return out.Token, nil
}

func (a *api) createProduct(ctx context.Context, token, name string, priceCents, stock int64) (int64, error) {
	in := map[string]any{"name": name, "description": "load generator", "category": "loadgen", "price_cents": priceCents, "stock": stock}
	var out struct {
		ProductID int64 `json:"product_id"`
	}
	if _, err := a.do(ctx, http.MethodPost, "/api/v1/products", token, "", in, &out); err != nil {
		return 0, fmt.Errorf("create product %s: %w", name, err)
	}
	return out.ProductID, nil
}

type orderItem struct {
	ProductID int64 `json:"product_id"`
	Quantity  int32 `json:"quantity"`
}

func (a *api) createOrder(ctx context.Context, token, key string, items []orderItem) (int64, error) {
	var out struct {
		OrderID int64 `json:"order_id"`
	}
	if _, err := a.do(ctx, http.MethodPost, "/api/v1/orders", token, key, map[string]any{"items": items}, &out); err != nil {
		return 0, err
	}
	return out.OrderID, nil
}

// pay returns the payment's status as the API reports it (SUCCEEDED,
// FAILED when declined, PENDING while the provider has not answered).
func (a *api) pay(ctx context.Context, token, key string, orderID int64) (string, error) {
	var out struct {
		Status string `json:"status"`
	}
	path := "/api/v1/orders/" + strconv.FormatInt(orderID, 10) + "/pay"
	if _, err := a.do(ctx, http.MethodPost, path, token, key, map[string]string{"method": "card"}, &out); err != nil {
		return "", err
	}
	return out.Status, nil
}
