// Command product serves the catalog and inventory (ProductService).
package main

import (
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/rpc/product/app"
)

func main() {
	bootstrap.Main("product", app.DefaultConfig(), app.Build)
}
