// Command payment serves the payment service: paying orders through a
// payment provider, once per order, idempotently per request key.
package main

import (
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/rpc/payment/app"
)

func main() {
	bootstrap.Main("payment", app.DefaultConfig(), app.Build)
}
