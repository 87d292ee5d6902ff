package service

import (
	"strings"
	"unicode/utf8"

	"github.com/kitemall/platform/kitex_gen/product"
	"github.com/kitemall/platform/pkg/errs"
)

// Limits of the product API. They are part of the contract, not tuning.
const (
	maxNameLen        = 200
	maxDescriptionLen = 2000
	maxCategoryLen    = 64
	// maxPriceCents keeps an order total (50 lines of 999 units) far from
	// int64 overflow.
	maxPriceCents = 1_000_000_000_000
	// maxStockDelta bounds one restock or initial stock, so the counters
	// cannot overflow however often stock is added.
	maxStockDelta  = 1_000_000_000
	maxBatchIDs    = 100
	maxReserveLine = 100
	maxPageSize    = 100
)

// checkText requires v to be valid UTF-8 of at most maxLen characters, and
// not blank unless optional.
func checkText(field, v string, maxLen int, optional bool) error {
	tooLong := utf8.RuneCountInString(v) > maxLen
	switch {
	case !utf8.ValidString(v):
		return errs.InvalidArgument("%s must be valid UTF-8", field)
	case optional && tooLong:
		return errs.InvalidArgument("%s must be at most %d characters", field, maxLen)
	case !optional && (tooLong || strings.TrimSpace(v) == ""):
		return errs.InvalidArgument("%s must be 1..%d characters and not blank", field, maxLen)
	}
	return nil
}

func checkPrice(cents int64) error {
	if cents < 0 || cents > maxPriceCents {
		return errs.InvalidArgument("price_cents must be in 0..%d", int64(maxPriceCents))
	}
	return nil
}

func checkStatus(s product.ProductStatus) error {
	if s != product.ProductStatus_ACTIVE && s != product.ProductStatus_INACTIVE {
		return errs.InvalidArgument("status must be ACTIVE or INACTIVE")
	}
	return nil
}

func checkProductID(id int64) error {
	if id <= 0 {
		return errs.InvalidArgument("product_id must be positive")
	}
	return nil
}

func checkOrderID(id int64) error {
	if id <= 0 {
		return errs.InvalidArgument("order_id must be positive")
	}
	return nil
}
