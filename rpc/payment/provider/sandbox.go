// Package provider holds payment-provider adapters that implement
// service.Gateway. Sandbox is the local one: no network, configurable
// latency, and a decline decision that depends only on the request.
package provider

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/kitemall/platform/rpc/payment/service"
)

// SandboxConfig configures the sandbox provider.
type SandboxConfig struct {
	// Latency is how long each call takes, as a real provider would.
	Latency time.Duration `yaml:"latency" env:"SANDBOX_LATENCY"`
	// DeclineRate is the share of charges declined, in [0, 1].
	DeclineRate float64 `yaml:"decline_rate" env:"SANDBOX_DECLINE_RATE"`
	// Seed varies which requests are declined; the same seed and request
	// always get the same answer.
	Seed string `yaml:"seed" env:"SANDBOX_SEED"`
}

// Validate checks the config; key is the config key prefix for messages.
func (c SandboxConfig) Validate(key string) error {
	if c.Latency < 0 {
		return fmt.Errorf("%s.latency: must not be negative", key)
	}
	if c.DeclineRate < 0 || c.DeclineRate > 1 {
		return fmt.Errorf("%s.decline_rate: %v is outside [0, 1]", key, c.DeclineRate)
	}
	return nil
}

// declineReasons are what real providers answer most often.
var declineReasons = [...]string{"insufficient funds", "card declined by issuer", "suspected fraud"}

// Sandbox is a deterministic service.Gateway: the decision for a charge is
// a function of (seed, order ID, idempotency key), so a retried request gets
// the same answer and tests are repeatable. Like a real provider it is
// idempotent per request key: it remembers every charge and refund it made
// and answers a repeated one from memory, without making it again, so a
// payment re-driven after a crash is never charged twice. Its memory lives
// as long as the process; being deterministic, a restarted sandbox still
// gives the same answers.
type Sandbox struct {
	cfg SandboxConfig

	mu      sync.Mutex
	charges map[[sha256.Size]byte]service.ChargeResult
	refunds map[[sha256.Size]byte]service.RefundResult
}

var _ service.Gateway = (*Sandbox)(nil)

// NewSandbox returns the sandbox for cfg.
func NewSandbox(cfg SandboxConfig) (*Sandbox, error) {
	if err := cfg.Validate("sandbox"); err != nil {
		return nil, err
	}
	return &Sandbox{
		cfg:     cfg,
		charges: map[[sha256.Size]byte]service.ChargeResult{},
		refunds: map[[sha256.Size]byte]service.RefundResult{},
	}, nil
}

// Made returns how many distinct charges and refunds the sandbox has made.
func (s *Sandbox) Made() (charges, refunds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.charges), len(s.refunds)
}

// Charge implements service.Gateway.
func (s *Sandbox) Charge(ctx context.Context, req service.ChargeRequest) (service.ChargeResult, error) {
	if err := s.wait(ctx); err != nil {
		return service.ChargeResult{}, fmt.Errorf("sandbox charge of order %d: %w", req.OrderID, err)
	}
	if req.AmountCents <= 0 {
		return service.ChargeResult{}, fmt.Errorf("sandbox charge of order %d: amount %d is not positive", req.OrderID, req.AmountCents)
	}
	d := s.digest("charge", req.OrderID, req.IdempotencyKey)
	s.mu.Lock()
	defer s.mu.Unlock()
	if res, ok := s.charges[d]; ok {
		return res, nil
	}
	res := service.ChargeResult{Approved: true, ProviderRef: "sbx_ch_" + hex.EncodeToString(d[8:20])}
	if s.declines(d) {
		res.Approved = false
		res.DeclineReason = declineReasons[int(d[20])%len(declineReasons)]
	}
	s.charges[d] = res
	return res, nil
}

// Refund implements service.Gateway; the sandbox never refuses a refund.
func (s *Sandbox) Refund(ctx context.Context, req service.RefundRequest) (service.RefundResult, error) {
	if err := s.wait(ctx); err != nil {
		return service.RefundResult{}, fmt.Errorf("sandbox refund of %s: %w", req.ProviderRef, err)
	}
	if req.ProviderRef == "" {
		return service.RefundResult{}, errors.New("sandbox refund: no charge reference")
	}
	d := s.digest("refund:"+req.ProviderRef, 0, req.IdempotencyKey)
	s.mu.Lock()
	defer s.mu.Unlock()
	if res, ok := s.refunds[d]; ok {
		return res, nil
	}
	res := service.RefundResult{ProviderRef: "sbx_rf_" + hex.EncodeToString(d[8:20])}
	s.refunds[d] = res
	return res, nil
}

// declines maps the digest's first 53 bits to a uniform number in [0, 1).
func (s *Sandbox) declines(d [sha256.Size]byte) bool {
	u := float64(binary.BigEndian.Uint64(d[:8])>>11) / (1 << 53)
	return u < s.cfg.DeclineRate
}

func (s *Sandbox) digest(kind string, orderID int64, key string) [sha256.Size]byte {
	// NUL separators keep ("ab", "c") and ("a", "bc") apart.
	return sha256.Sum256([]byte(s.cfg.Seed + "\x00" + kind + "\x00" + strconv.FormatInt(orderID, 10) + "\x00" + key))
}

func (s *Sandbox) wait(ctx context.Context) error {
	if s.cfg.Latency <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(s.cfg.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
