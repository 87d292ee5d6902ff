package provider

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/kitemall/platform/rpc/payment/service"
)

func charge(orderID int64, key string) service.ChargeRequest {
	return service.ChargeRequest{OrderID: orderID, UserID: 1, AmountCents: 100, Method: "card", IdempotencyKey: key}
}

func mustSandbox(t *testing.T, cfg SandboxConfig) *Sandbox {
	t.Helper()
	s, err := NewSandbox(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSandboxSameRequestGetsTheSameAnswer(t *testing.T) {
	a := mustSandbox(t, SandboxConfig{DeclineRate: 0.5, Seed: "s"})
	b := mustSandbox(t, SandboxConfig{DeclineRate: 0.5, Seed: "s"})
	for i := range 200 {
		req := charge(int64(i), fmt.Sprintf("key-%d", i))
		first, err := a.Charge(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := a.Charge(context.Background(), req)
		other, _ := b.Charge(context.Background(), req)
		if first != again || first != other {
			t.Fatalf("request %d answered %+v, then %+v, and %+v by another sandbox with the same seed", i, first, again, other)
		}
		if first.ProviderRef == "" || first.Approved == (first.DeclineReason != "") {
			t.Fatalf("inconsistent answer %+v", first)
		}
	}
}

func TestSandboxDecisionDependsOnOrderKeyAndSeed(t *testing.T) {
	base := mustSandbox(t, SandboxConfig{DeclineRate: 0.5, Seed: "s"})
	reseeded := mustSandbox(t, SandboxConfig{DeclineRate: 0.5, Seed: "t"})
	var byOrder, byKey, bySeed int
	for i := range 200 {
		key := fmt.Sprintf("key-%d", i)
		r, _ := base.Charge(context.Background(), charge(1, key))
		otherOrder, _ := base.Charge(context.Background(), charge(2, key))
		otherKey, _ := base.Charge(context.Background(), charge(1, key+"x"))
		otherSeed, _ := reseeded.Charge(context.Background(), charge(1, key))
		if r.Approved != otherOrder.Approved {
			byOrder++
		}
		if r.Approved != otherKey.Approved {
			byKey++
		}
		if r.Approved != otherSeed.Approved {
			bySeed++
		}
	}
	// Independent fair coins differ about half the time.
	for name, n := range map[string]int{"order": byOrder, "key": byKey, "seed": bySeed} {
		if n < 60 || n > 140 {
			t.Errorf("changing the %s changed %d of 200 decisions, want about 100", name, n)
		}
	}
}

func TestSandboxHonoursTheDeclineRate(t *testing.T) {
	const n = 20000
	for _, rate := range []float64{0, 0.05, 0.3, 0.9, 1} {
		t.Run(fmt.Sprint(rate), func(t *testing.T) {
			s := mustSandbox(t, SandboxConfig{DeclineRate: rate, Seed: "rate"})
			declined := 0
			for i := range n {
				r, err := s.Charge(context.Background(), charge(int64(i%97+1), fmt.Sprintf("k%d", i)))
				if err != nil {
					t.Fatal(err)
				}
				if !r.Approved {
					declined++
				}
			}
			got := float64(declined) / n
			// Four standard deviations of a binomial share: flaky once in
			// tens of thousands of runs at most, and the seed is fixed.
			tol := 4 * math.Sqrt(rate*(1-rate)/n)
			t.Logf("declined %.4f of %d charges at decline_rate %.2f", got, n, rate)
			if math.Abs(got-rate) > tol {
				t.Errorf("declined %.4f of charges, want %.2f ± %.4f", got, rate, tol)
			}
		})
	}
}

func TestSandboxTakesItsLatencyAndStopsAtTheDeadline(t *testing.T) {
	s := mustSandbox(t, SandboxConfig{Latency: 30 * time.Millisecond})
	start := time.Now()
	if _, err := s.Charge(context.Background(), charge(1, "k")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("charge took %v, want at least the 30ms latency", d)
	}
	slow := mustSandbox(t, SandboxConfig{Latency: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := slow.Charge(ctx, charge(1, "k"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("charge past its deadline took %v", d)
	}
}

func TestSandboxRefundNamesTheCharge(t *testing.T) {
	s := mustSandbox(t, SandboxConfig{})
	a, err := s.Refund(context.Background(), service.RefundRequest{ProviderRef: "sbx_ch_1", AmountCents: 100, IdempotencyKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Refund(context.Background(), service.RefundRequest{ProviderRef: "sbx_ch_2", AmountCents: 100, IdempotencyKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ProviderRef == "" || a.ProviderRef == b.ProviderRef {
		t.Errorf("refund refs %q and %q must be set and differ per charge", a.ProviderRef, b.ProviderRef)
	}
	if _, err := s.Refund(context.Background(), service.RefundRequest{}); err == nil {
		t.Error("refund without a charge reference succeeded")
	}
}

func TestSandboxConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  SandboxConfig
		ok   bool
	}{
		{"defaults", SandboxConfig{}, true},
		{"always decline", SandboxConfig{DeclineRate: 1}, true},
		{"negative rate", SandboxConfig{DeclineRate: -0.1}, false},
		{"rate above one", SandboxConfig{DeclineRate: 1.5}, false},
		{"negative latency", SandboxConfig{Latency: -time.Second}, false},
	}
	for _, tt := range tests {
		if _, err := NewSandbox(tt.cfg); (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestSandboxRemembersChargesAndRefunds(t *testing.T) {
	s := mustSandbox(t, SandboxConfig{DeclineRate: 0.5, Seed: "memory"})
	ctx := context.Background()
	var refs []string
	for i := range 20 {
		req := charge(int64(i), "k")
		first, err := s.Charge(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.Charge(ctx, req)
		if err != nil || again != first {
			t.Fatalf("charge %d replayed as %+v (%v), want %+v", i, again, err, first)
		}
		if first.Approved {
			refs = append(refs, first.ProviderRef)
		}
	}
	for _, ref := range refs {
		for range 2 {
			if _, err := s.Refund(ctx, service.RefundRequest{ProviderRef: ref, AmountCents: 100, IdempotencyKey: "k"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if charges, refunds := s.Made(); charges != 20 || refunds != len(refs) {
		t.Fatalf("made %d charges and %d refunds, want 20 and %d: a repeated request is answered, not made again", charges, refunds, len(refs))
	}
}
