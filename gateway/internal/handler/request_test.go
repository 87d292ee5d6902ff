package handler

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kitemall/platform/gateway/internal/apierr"
)

// items builds a create-order body with n distinct products.
func items(n int, quantity int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf(`{"product_id":%d,"quantity":%d}`, i+1, quantity)
	}
	return `{"items":[` + strings.Join(parts, ",") + `]}`
}

func requireInvalid(t *testing.T, err error, wantInMessage string) {
	t.Helper()
	var e *apierr.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want an *apierr.Error", err)
	}
	if e.Status != http.StatusBadRequest || e.Code != "INVALID_ARGUMENT" {
		t.Fatalf("got %d %s, want 400 INVALID_ARGUMENT", e.Status, e.Code)
	}
	if !strings.Contains(e.Message, wantInMessage) {
		t.Fatalf("message %q does not mention %q", e.Message, wantInMessage)
	}
}

func TestDecodeCreateOrderRejectsBadBodies(t *testing.T) {
	tests := []struct {
		name, body, wantInMessage string
	}{
		{"empty body", ``, "JSON object"},
		{"whitespace only", " \n\t", "JSON object"},
		{"malformed JSON", `{"items":[`, "malformed JSON"},
		{"truncated JSON", `{"items":[{"product_id":1`, "malformed JSON"},
		{"array instead of object", `[1,2]`, "JSON object"},
		{"string instead of object", `"items"`, "JSON object"},
		{"trailing second object", `{"items":[{"product_id":1,"quantity":1}]}{}`, "single JSON object"},
		{"trailing garbage", `{"items":[{"product_id":1,"quantity":1}]} x`, "single JSON object"},
		{"unknown field", `{"items":[{"product_id":1,"quantity":1}],"discount":100}`, `unknown field "discount"`},
		{"unknown item field", `{"items":[{"product_id":1,"quantity":1,"price_cents":1}]}`, `unknown field "price_cents"`},
		{"items is a string", `{"items":"all"}`, `"items" must be an array`},
		{"quantity is a string", `{"items":[{"product_id":1,"quantity":"2"}]}`, `"items.quantity" must be an integer`},
		{"quantity is fractional", `{"items":[{"product_id":1,"quantity":1.5}]}`, `"items.quantity" must be an integer`},
		{"quantity overflows int32", `{"items":[{"product_id":1,"quantity":4294967297}]}`, `"items.quantity" must be an integer`},
		{"product_id is SQL", `{"items":[{"product_id":"1 OR 1=1","quantity":1}]}`, `"items.product_id" must be an integer`},
		{"null body", `null`, "items must hold 1..50"},
		{"no items", `{"items":[]}`, "items must hold 1..50"},
		{"items missing", `{}`, "items must hold 1..50"},
		{"51 items", items(51, 1), "items must hold 1..50"},
		{"zero quantity", `{"items":[{"product_id":1,"quantity":0}]}`, "items[0].quantity must be in 1..999"},
		{"negative quantity", `{"items":[{"product_id":1,"quantity":-3}]}`, "items[0].quantity must be in 1..999"},
		{"quantity 1000", `{"items":[{"product_id":1,"quantity":1},{"product_id":2,"quantity":1000}]}`, "items[1].quantity must be in 1..999"},
		{"quantity missing", `{"items":[{"product_id":1}]}`, "items[0].quantity must be in 1..999"},
		{"product_id zero", `{"items":[{"product_id":0,"quantity":1}]}`, "items[0].product_id must be a positive integer"},
		{"product_id negative", `{"items":[{"product_id":-7,"quantity":1}]}`, "items[0].product_id must be a positive integer"},
		{"duplicate product", `{"items":[{"product_id":4,"quantity":1},{"product_id":4,"quantity":2}]}`, "items[1].product_id 4 is listed twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeCreateOrder([]byte(tc.body))
			requireInvalid(t, err, tc.wantInMessage)
		})
	}
}

func TestDecodeCreateOrderAcceptsTheLimits(t *testing.T) {
	tests := []struct {
		name, body string
		wantItems  int
	}{
		{"one item of quantity 1", `{"items":[{"product_id":1,"quantity":1}]}`, 1},
		{"50 items of quantity 999", items(50, 999), 50},
		{"surrounding whitespace", " \n" + items(2, 3) + "\n ", 2},
		{"largest product ID", `{"items":[{"product_id":9223372036854775807,"quantity":1}]}`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := decodeCreateOrder([]byte(tc.body))
			if err != nil {
				t.Fatalf("decodeCreateOrder: %v", err)
			}
			if len(req.Items) != tc.wantItems {
				t.Fatalf("got %d items, want %d", len(req.Items), tc.wantItems)
			}
		})
	}
}

func TestCredentialsValidation(t *testing.T) {
	long := strings.Repeat("p", 129)
	tests := []struct {
		name                string
		c                   credentials
		registerOK, loginOK bool
	}{
		{"valid", credentials{"alice_01", "password1"}, true, true},
		{"username of 3", credentials{"abc", "password1"}, true, true},
		{"username of 32", credentials{strings.Repeat("a", 32), "password1"}, true, true},
		{"username of 2 is an unknown login, not a bad request", credentials{"ab", "password1"}, false, true},
		{"username of 33", credentials{strings.Repeat("a", 33), "password1"}, false, false},
		{"username with a dash", credentials{"al-ice", "password1"}, false, true},
		{"username with SQL", credentials{"x' OR '1'='1", "password1"}, false, true},
		{"username with non-ASCII", credentials{"алиса", "password1"}, false, true},
		{"password of 7", credentials{"alice", "1234567"}, false, true},
		{"password of 128", credentials{"alice", strings.Repeat("p", 128)}, true, true},
		{"password of 129", credentials{"alice", long}, false, false},
		{"missing password", credentials{"alice", ""}, false, false},
		{"missing username", credentials{"", "password1"}, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.c.validateRegister(); (err == nil) != tc.registerOK {
				t.Errorf("validateRegister() = %v, want ok=%v", err, tc.registerOK)
			}
			if err := tc.c.validateLogin(); (err == nil) != tc.loginOK {
				t.Errorf("validateLogin() = %v, want ok=%v", err, tc.loginOK)
			}
		})
	}
}

func TestParsePage(t *testing.T) {
	tests := []struct {
		name, page, size string
		want             page
		wantErr          string
	}{
		{"defaults", "", "", page{1, 20}, ""},
		{"explicit", "3", "100", page{3, 100}, ""},
		{"page_size 1", "1", "1", page{1, 1}, ""},
		{"page_size 0", "1", "0", page{}, "page_size"},
		{"page_size 101", "1", "101", page{}, "page_size"},
		{"page_size negative", "", "-5", page{}, "page_size"},
		{"page_size not a number", "", "ten", page{}, "page_size"},
		{"page 0", "0", "", page{}, "page must"},
		{"page too deep", "10001", "", page{}, "page must"},
		{"page overflows int32", "99999999999", "", page{}, "page must"},
		{"page with SQL", "1;DROP TABLE orders", "", page{}, "page must"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePage(tc.page, tc.size)
			if tc.wantErr != "" {
				requireInvalid(t, err, tc.wantErr)
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parsePage = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestDecodeUpdateProduct(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"price only", `{"price_cents":1999}`, ""},
		{"deactivate", `{"status":"INACTIVE"}`, ""},
		{"restock", `{"add_stock":10}`, ""},
		{"nothing to change", `{}`, "at least one"},
		{"unknown status", `{"status":"DELETED"}`, "status must be"},
		{"negative restock", `{"add_stock":-1}`, "add_stock must be in"},
		{"zero price", `{"price_cents":0}`, "price_cents must be in"},
		{"empty name", `{"name":""}`, "name must be 1..200"},
		{"stock is not writable", `{"stock":5}`, `unknown field "stock"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeUpdateProduct([]byte(tc.body))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("decodeUpdateProduct: %v", err)
				}
				return
			}
			requireInvalid(t, err, tc.wantErr)
		})
	}
}

// FuzzDecodeCreateOrder feeds arbitrary bytes to the door of POST /orders:
// decoding never panics, every rejection is a 400 with a message, and every
// accepted request satisfies all the limits and survives a round trip.
func FuzzDecodeCreateOrder(f *testing.F) {
	for _, seed := range []string{
		`{"items":[{"product_id":1,"quantity":1}]}`,
		items(50, 999),
		items(51, 1),
		`{"items":[{"product_id":1,"quantity":0}]}`,
		`{"items":[{"product_id":1,"quantity":1000}]}`,
		`{"items":[{"product_id":2,"quantity":1},{"product_id":2,"quantity":1}]}`,
		`{"items":[{"product_id":"1","quantity":1}]}`,
		`{"items":null}`,
		`{"items":[{}]}`,
		`[]`,
		`null`,
		`{`,
		"\xff\xfe",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeCreateOrder(body)
		if err != nil {
			var e *apierr.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Message == "" {
				t.Fatalf("rejection %v is not a 400 with a message", err)
			}
			return
		}
		if n := len(req.Items); n < 1 || n > MaxOrderItems {
			t.Fatalf("accepted %d items", n)
		}
		seen := map[int64]bool{}
		for _, it := range req.Items {
			if it.ProductID <= 0 || it.Quantity < 1 || it.Quantity > MaxQuantity || seen[it.ProductID] {
				t.Fatalf("accepted invalid item %+v", it)
			}
			seen[it.ProductID] = true
		}
		again, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := decodeCreateOrder(again); err != nil {
			t.Fatalf("accepted %q but rejected its re-encoding %s: %v", body, again, err)
		}
	})
}
