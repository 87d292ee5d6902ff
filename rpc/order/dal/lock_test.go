package dal

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/pkg/testenv"
)

func newLocks(t *testing.T, ttl, wait time.Duration) *Locks {
	t.Helper()
	rdb, cfg := testenv.Redis(t)
	return NewLocks(rdb, cfg.KeyPrefix, ttl, wait)
}

func TestLocksExcludeUntilUnlocked(t *testing.T) {
	ctx := context.Background()
	l := newLocks(t, 5*time.Second, 100*time.Millisecond)
	unlock, err := l.Lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lock(ctx, "a"); !errors.Is(err, ErrLockBusy) {
		t.Fatalf("second Lock while held: err %v, want ErrLockBusy", err)
	}
	other, err := l.Lock(ctx, "b")
	if err != nil {
		t.Fatalf("Lock of another name: %v", err)
	}
	if err := errors.Join(unlock(), other()); err != nil {
		t.Fatal(err)
	}
	again, err := l.Lock(ctx, "a")
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	if err := again(); err != nil {
		t.Fatal(err)
	}
}

func TestLocksWaiterTakesTheLockWhenTheHolderFreesIt(t *testing.T) {
	ctx := context.Background()
	l := newLocks(t, 5*time.Second, 3*time.Second)
	unlock, err := l.Lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		u, err := l.Lock(ctx, "a")
		if err == nil {
			err = u()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("waiter returned (%v) while the lock was held", err)
	case <-time.After(150 * time.Millisecond):
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("waiter: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("waiter did not take the freed lock")
	}
}

func TestLocksExpiredHolderCannotFreeTheNextHoldersLock(t *testing.T) {
	ctx := context.Background()
	l := newLocks(t, 100*time.Millisecond, 2*time.Second)
	stale, err := l.Lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	// The second Lock succeeds only once the first expires.
	current, err := l.Lock(ctx, "a")
	if err != nil {
		t.Fatalf("Lock after expiry: %v", err)
	}
	if err := stale(); err != nil {
		t.Fatal(err)
	}
	l.wait = 50 * time.Millisecond
	if _, err := l.Lock(ctx, "a"); !errors.Is(err, ErrLockBusy) {
		t.Fatalf("Lock after the stale unlock: err %v, want ErrLockBusy (the current holder keeps it)", err)
	}
	if err := current(); err != nil {
		t.Fatal(err)
	}
}

func TestLocksFailFastWhenRedisIsDown(t *testing.T) {
	cfg := redisx.DefaultConfig("t:")
	cfg.Addr = testenv.FreeAddr(t)
	rdb, err := redisx.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	start := time.Now()
	_, err = NewLocks(rdb, cfg.KeyPrefix, time.Second, 2*time.Second).Lock(context.Background(), "a")
	if err == nil || errors.Is(err, ErrLockBusy) {
		t.Fatalf("Lock against a closed port: err %v, want a connection error", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Lock took %v to fail, want well under the 2s wait", d)
	}
}
