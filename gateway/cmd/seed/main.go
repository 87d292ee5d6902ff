// Command seed fills the platform with the demo catalog and the admin user
// (idempotently; `make run` calls it after starting the services) and prints
// where the gateway serves. It reads the gateway's config for etcd, the
// clients and the listen address; ADMIN_PASSWORD sets the admin's password.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/kitemall/platform/gateway/internal/clients"
	"github.com/kitemall/platform/gateway/internal/config"
	"github.com/kitemall/platform/gateway/internal/seed"
	pkgconfig "github.com/kitemall/platform/pkg/config"
	"github.com/kitemall/platform/pkg/kitexsuite"
)

// defaultAdminPassword is for the local demo only; it is printed so a
// newcomer can log in as admin.
const defaultAdminPassword = "admin-password"

func main() {
	path := flag.String("config", os.Getenv("CONFIG_FILE"), "path to the gateway's YAML config file")
	wait := flag.Duration("wait", 60*time.Second, "how long to wait for the services to answer")
	flag.Parse()
	if err := run(*path, *wait); err != nil {
		fmt.Fprintf(os.Stderr, "seed: %v\n", err)
		os.Exit(1)
	}
}

func run(path string, wait time.Duration) error {
	cfg := config.Default()
	if err := pkgconfig.Load(path, cfg); err != nil {
		return err
	}
	password := os.Getenv("ADMIN_PASSWORD")
	if password == "" {
		password = defaultAdminPassword
	}
	admin := "admin"
	if len(cfg.Auth.Admins) > 0 {
		admin = cfg.Auth.Admins[0]
	}
	resolver, err := kitexsuite.NewResolver(cfg.Registry)
	if err != nil {
		return err
	}
	cs, err := clients.New(cfg.ClientConfigs(), resolver, nil)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := seed.WaitReady(ctx, cs.Products, cs.Users); err != nil {
		return err
	}
	res, err := seed.Run(ctx, cs.Products, cs.Users, admin, password, seed.Catalog)
	if err != nil {
		return err
	}
	fmt.Printf("seed: %d demo products created, %d already there", res.ProductsCreated, res.ProductsExisting)
	if res.AdminCreated {
		fmt.Printf("; admin user %q created with password %q (set ADMIN_PASSWORD to choose it)", admin, password)
	}
	fmt.Printf("\n\ngateway: http://%s/api/v1/products\ndocs:    http://%s/docs\n", cfg.HTTP.Listen, cfg.HTTP.Listen)
	return nil
}
