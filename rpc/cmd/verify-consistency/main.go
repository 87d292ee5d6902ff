// Command verify-consistency checks the invariants that tie the product,
// order and payment databases together (see package consistency) on a
// running stack, and prints the report. It reads the databases and the
// settings the rules depend on from the services' own config files (and
// the same environment overrides the services honour), so it judges the
// stack by the settings it runs with.
//
//	cd rpc && go run ./cmd/verify-consistency [-slack 30s]
//
// The exit status is 0 when every invariant holds, 1 when one is broken,
// and 2 when the check could not run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/kitemall/platform/pkg/config"
	"github.com/kitemall/platform/rpc/consistency"
	orderapp "github.com/kitemall/platform/rpc/order/app"
	paymentapp "github.com/kitemall/platform/rpc/payment/app"
	productapp "github.com/kitemall/platform/rpc/product/app"
)

func main() {
	productConf := flag.String("product-config", "product/conf/product.yaml", "the product service's config file")
	orderConf := flag.String("order-config", "order/conf/order.yaml", "the order service's config file")
	paymentConf := flag.String("payment-config", "payment/conf/payment.yaml", "the payment service's config file")
	slack := flag.Duration("slack", 30*time.Second, "how long a flow may take to settle; younger states count as in flight")
	timeout := flag.Duration("timeout", time.Minute, "bound on the whole check")
	flag.Parse()

	report, err := run(*productConf, *orderConf, *paymentConf, *slack, *timeout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "verify-consistency: %v\n", err)
		os.Exit(2)
	}
	fmt.Print(report)
	if !report.OK() {
		os.Exit(1)
	}
}

func run(productConf, orderConf, paymentConf string, slack, timeout time.Duration) (consistency.Report, error) {
	product, order, payment := productapp.DefaultConfig(), orderapp.DefaultConfig(), paymentapp.DefaultConfig()
	for path, cfg := range map[string]any{productConf: product, orderConf: order, paymentConf: payment} {
		if err := config.Load(path, cfg); err != nil {
			return consistency.Report{}, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	dbs, err := consistency.Open(ctx, product.MySQL, order.MySQL, payment.MySQL)
	if err != nil {
		return consistency.Report{}, err
	}
	defer dbs.Close()
	return consistency.Check(ctx, dbs, consistency.Options{
		PaymentWindow: order.PaymentWindow,
		LocalTxWindow: order.Messaging.LocalTxWindow,
		PaymentSettle: payment.Sweeper.RedriveAfter + payment.Sweeper.Interval,
		Slack:         slack,
		// The shorter of the two services' retentions (0: forever).
		ProcessedRetention: shorterRetention(order.Messaging.ProcessedRetention, payment.Messaging.ProcessedRetention),
	})
}

// shorterRetention returns the shorter of two retentions, 0 meaning forever.
func shorterRetention(a, b time.Duration) time.Duration {
	switch {
	case a == 0:
		return b
	case b == 0:
		return a
	}
	return min(a, b)
}
