package handler

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kitemall/platform/gateway/internal/apierr"
	"github.com/kitemall/platform/gateway/internal/openapi"
)

// TestOpenAPISchemasMatchTheWireTypes checks that every schema of the
// document has exactly the JSON fields of the Go type the handlers decode
// or encode, and that no field the document calls required can be omitted.
func TestOpenAPISchemasMatchTheWireTypes(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openapi.Document(), &doc); err != nil {
		t.Fatal(err)
	}
	types := map[string]any{
		"Error":                 apierr.Body{},
		"Credentials":           credentials{},
		"RegisterResponse":      registerResponse{},
		"LoginResponse":         loginResponse{},
		"User":                  userJSON{},
		"Product":               productJSON{},
		"ProductPage":           productPage{},
		"CreateProductRequest":  createProductRequest{},
		"CreateProductResponse": createProductResponse{},
		"UpdateProductRequest":  updateProductRequest{},
		"OrderItemInput":        orderItemInput{},
		"CreateOrderRequest":    createOrderRequest{},
		"OrderItem":             orderItemJSON{},
		"Order":                 orderJSON{},
		"OrderPage":             orderPage{},
		"CancelOrderRequest":    cancelOrderRequest{},
		"PayRequest":            payRequest{},
		"Payment":               paymentJSON{},
		"Health":                healthResponse{},
		"Dependency":            dependencyJSON{},
		"Ready":                 readyResponse{},
		"NotReady":              notReadyResponse{},
	}
	for name := range doc.Components.Schemas {
		if _, ok := types[name]; !ok {
			t.Errorf("schema %s has no Go type in this test", name)
		}
	}
	for name, v := range types {
		t.Run(name, func(t *testing.T) {
			schema, ok := doc.Components.Schemas[name]
			if !ok {
				t.Fatalf("no schema %s", name)
			}
			fields, omittable := jsonFields(reflect.TypeOf(v))
			var props []string
			for p := range schema.Properties {
				props = append(props, p)
			}
			sort.Strings(props)
			if !slices.Equal(fields, props) {
				t.Fatalf("Go fields %v, schema properties %v", fields, props)
			}
			for _, r := range schema.Required {
				if omittable[r] {
					t.Errorf("required %q is omitempty in Go", r)
				}
			}
		})
	}
}

func jsonFields(t reflect.Type) ([]string, map[string]bool) {
	var names []string
	omittable := map[string]bool{}
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		names = append(names, name)
		if strings.Contains(opts, "omitempty") {
			omittable[name] = true
		}
	}
	sort.Strings(names)
	return names, omittable
}
