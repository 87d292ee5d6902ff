// Command order serves the order service: orders priced and reserved at the
// product service, idempotent per (user, key), cancellable until paid.
package main

import (
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/rpc/order/app"
)

func main() {
	bootstrap.Main("order", app.DefaultConfig(), app.Build)
}
