// Command user serves the user service: registration, login and user reads.
package main

import (
	"github.com/kitemall/platform/pkg/bootstrap"
	"github.com/kitemall/platform/rpc/user/app"
)

func main() {
	bootstrap.Main("user", app.DefaultConfig(), app.Build)
}
