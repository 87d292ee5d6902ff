package handler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kitemall/platform/gateway/internal/apierr"
)

// Limits checked at the door, before any service is called.
const (
	MaxOrderItems   = 50
	MaxQuantity     = 999
	MaxPageSize     = 100
	DefaultPageSize = 20
	// MaxPage bounds the OFFSET a listing can ask the database for.
	MaxPage             = 10_000
	MaxNameLen          = 200
	MaxDescriptionLen   = 2000
	MaxCategoryLen      = 64
	MaxReasonLen        = 256
	MaxIdempotencyKey   = 64
	MaxPriceCents       = 1_000_000_000_000
	MaxStock            = 1_000_000_000
	minPasswordLen      = 8
	maxPasswordLen      = 128
	maxLoginUsernameLen = 32
)

var (
	usernamePattern       = regexp.MustCompile(`^[a-zA-Z0-9_]{3,32}$`)
	idempotencyKeyPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
	payMethodPattern      = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
)

// decodeJSON decodes exactly one JSON value from body into dst. Unknown
// fields, wrong types and trailing data are rejected, so a typo in a field
// name is an error rather than a silently ignored value.
func decodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return apierr.InvalidArgument("request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return apierr.InvalidArgument("%s", describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apierr.InvalidArgument("request body must hold a single JSON object")
	}
	return nil
}

func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return "request body must be a JSON object"
		}
		return fmt.Sprintf("field %q must be %s", typ.Field, kindName(typ.Type))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "malformed JSON: unexpected end of input"
	}
	// The remaining decoder errors ("unknown field", invalid UTF-8 in a
	// key, ...) name only the offending input, never internals.
	return "invalid JSON: " + trimJSONPrefix(err.Error())
}

func trimJSONPrefix(s string) string {
	const prefix = "json: "
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer in range"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Bool:
		return "a boolean"
	}
	return "of another type"
}

// credentials is the body of register and login.
type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (r credentials) validateRegister() error {
	if !usernamePattern.MatchString(r.Username) {
		return apierr.InvalidArgument("username must be 3..32 characters of [a-zA-Z0-9_]")
	}
	if n := len(r.Password); n < minPasswordLen || n > maxPasswordLen {
		return apierr.InvalidArgument("password must be %d..%d bytes", minPasswordLen, maxPasswordLen)
	}
	return nil
}

// validateLogin only bounds the input: a username or password that could
// never have been registered is a wrong login (401), not a bad request.
func (r credentials) validateLogin() error {
	if r.Username == "" || r.Password == "" {
		return apierr.InvalidArgument("username and password are required")
	}
	if len(r.Username) > maxLoginUsernameLen || len(r.Password) > maxPasswordLen {
		return apierr.InvalidArgument("username or password is too long")
	}
	return nil
}

// orderItemInput is one line of a new order.
type orderItemInput struct {
	ProductID int64 `json:"product_id"`
	Quantity  int32 `json:"quantity"`
}

// createOrderRequest is the body of POST /orders.
type createOrderRequest struct {
	Items []orderItemInput `json:"items"`
}

// decodeCreateOrder decodes and validates the body of POST /orders.
func decodeCreateOrder(body []byte) (createOrderRequest, error) {
	var r createOrderRequest
	if err := decodeJSON(body, &r); err != nil {
		return createOrderRequest{}, err
	}
	if err := r.validate(); err != nil {
		return createOrderRequest{}, err
	}
	return r, nil
}

func (r createOrderRequest) validate() error {
	if n := len(r.Items); n < 1 || n > MaxOrderItems {
		return apierr.InvalidArgument("items must hold 1..%d entries", MaxOrderItems)
	}
	seen := make(map[int64]bool, len(r.Items))
	for i, it := range r.Items {
		if it.ProductID <= 0 {
			return apierr.InvalidArgument("items[%d].product_id must be a positive integer", i)
		}
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			return apierr.InvalidArgument("items[%d].quantity must be in 1..%d", i, MaxQuantity)
		}
		if seen[it.ProductID] {
			return apierr.InvalidArgument("items[%d].product_id %d is listed twice", i, it.ProductID)
		}
		seen[it.ProductID] = true
	}
	return nil
}

// cancelOrderRequest is the optional body of POST /orders/{id}/cancel.
type cancelOrderRequest struct {
	Reason string `json:"reason"`
}

func decodeCancelOrder(body []byte) (cancelOrderRequest, error) {
	var r cancelOrderRequest
	if len(bytes.TrimSpace(body)) == 0 {
		return r, nil
	}
	if err := decodeJSON(body, &r); err != nil {
		return cancelOrderRequest{}, err
	}
	if err := checkText("reason", r.Reason, 0, MaxReasonLen); err != nil {
		return cancelOrderRequest{}, err
	}
	return r, nil
}

// payRequest is the body of POST /orders/{id}/pay.
type payRequest struct {
	Method string `json:"method"`
}

func decodePay(body []byte) (payRequest, error) {
	var r payRequest
	if err := decodeJSON(body, &r); err != nil {
		return payRequest{}, err
	}
	if !payMethodPattern.MatchString(r.Method) {
		return payRequest{}, apierr.InvalidArgument(`method must be a payment method name such as "card"`)
	}
	return r, nil
}

// createProductRequest is the body of POST /products.
type createProductRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	PriceCents  int64  `json:"price_cents"`
	Stock       int64  `json:"stock"`
}

func decodeCreateProduct(body []byte) (createProductRequest, error) {
	var r createProductRequest
	if err := decodeJSON(body, &r); err != nil {
		return createProductRequest{}, err
	}
	for _, err := range []error{
		checkText("name", r.Name, 1, MaxNameLen),
		checkText("description", r.Description, 0, MaxDescriptionLen),
		checkText("category", r.Category, 1, MaxCategoryLen),
		checkRange("price_cents", r.PriceCents, 1, MaxPriceCents),
		checkRange("stock", r.Stock, 0, MaxStock),
	} {
		if err != nil {
			return createProductRequest{}, err
		}
	}
	return r, nil
}

// updateProductRequest is the body of PUT /products/{id}: only the fields
// present change, and add_stock restocks.
type updateProductRequest struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Category    *string `json:"category"`
	PriceCents  *int64  `json:"price_cents"`
	Status      *string `json:"status"`
	AddStock    *int64  `json:"add_stock"`
}

func decodeUpdateProduct(body []byte) (updateProductRequest, error) {
	var r updateProductRequest
	if err := decodeJSON(body, &r); err != nil {
		return updateProductRequest{}, err
	}
	if r == (updateProductRequest{}) {
		return updateProductRequest{}, apierr.InvalidArgument("set at least one of name, description, category, price_cents, status, add_stock")
	}
	var errs []error
	if r.Name != nil {
		errs = append(errs, checkText("name", *r.Name, 1, MaxNameLen))
	}
	if r.Description != nil {
		errs = append(errs, checkText("description", *r.Description, 0, MaxDescriptionLen))
	}
	if r.Category != nil {
		errs = append(errs, checkText("category", *r.Category, 1, MaxCategoryLen))
	}
	if r.PriceCents != nil {
		errs = append(errs, checkRange("price_cents", *r.PriceCents, 1, MaxPriceCents))
	}
	if r.AddStock != nil {
		errs = append(errs, checkRange("add_stock", *r.AddStock, 1, MaxStock))
	}
	if r.Status != nil {
		if _, ok := productStatusByName[*r.Status]; !ok {
			errs = append(errs, apierr.InvalidArgument(`status must be "ACTIVE" or "INACTIVE"`))
		}
	}
	for _, err := range errs {
		if err != nil {
			return updateProductRequest{}, err
		}
	}
	return r, nil
}

// checkText requires valid UTF-8 of minLen..maxLen characters; a required
// text (minLen > 0) must not be blank.
func checkText(field, s string, minLen, maxLen int) error {
	if !utf8.ValidString(s) {
		return apierr.InvalidArgument("%s must be valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(s); n < minLen || n > maxLen || (minLen > 0 && strings.TrimSpace(s) == "") {
		return apierr.InvalidArgument("%s must be %d..%d characters and not blank", field, minLen, maxLen)
	}
	return nil
}

func checkRange(field string, v, lo, hi int64) error {
	if v < lo || v > hi {
		return apierr.InvalidArgument("%s must be in %d..%d", field, lo, hi)
	}
	return nil
}

// parseID parses a path ID: a positive int64.
func parseID(name, raw string) (int64, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, apierr.InvalidArgument("%s must be a positive integer", name)
	}
	return id, nil
}

// page is a validated page request.
type page struct {
	Page     int32
	PageSize int32
}

// parsePage reads page and page_size from the query; absent means the
// defaults (1 and 20).
func parsePage(pageRaw, sizeRaw string) (page, error) {
	p := page{Page: 1, PageSize: DefaultPageSize}
	if pageRaw != "" {
		n, err := strconv.ParseInt(pageRaw, 10, 32)
		if err != nil || n < 1 || n > MaxPage {
			return page{}, apierr.InvalidArgument("page must be an integer in 1..%d", MaxPage)
		}
		p.Page = int32(n)
	}
	if sizeRaw != "" {
		n, err := strconv.ParseInt(sizeRaw, 10, 32)
		if err != nil || n < 1 || n > MaxPageSize {
			return page{}, apierr.InvalidArgument("page_size must be an integer in 1..%d", MaxPageSize)
		}
		p.PageSize = int32(n)
	}
	return p, nil
}

// parseIdempotencyKey checks the Idempotency-Key header.
func parseIdempotencyKey(raw string) (string, error) {
	if !idempotencyKeyPattern.MatchString(raw) {
		return "", apierr.InvalidArgument("header Idempotency-Key is required: 1..%d characters of [A-Za-z0-9._:-] (a UUID fits)", MaxIdempotencyKey)
	}
	return raw, nil
}
