package redisx_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/pkg/testenv"
)

// Proves the client talks to the real Redis: a value set with a TTL reads
// back, expires, and a missing key is redis.Nil.
func TestRoundTripOnRealRedis(t *testing.T) {
	rdb, cfg := testenv.Redis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	key := cfg.KeyPrefix + "greeting"
	if err := rdb.Set(ctx, key, "hello", 300*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := rdb.Get(ctx, key).Result(); err != nil || got != "hello" {
		t.Fatalf("get = %q, %v", got, err)
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := rdb.Get(ctx, key).Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("after the TTL, get gave %v, want redis.Nil", err)
	}
}

// Proves a dead Redis fails fast instead of hanging callers.
func TestDeadRedisFailsFast(t *testing.T) {
	cfg := redisx.DefaultConfig("x:")
	cfg.Addr = testenv.FreeAddr(t) // nothing listens there
	rdb, err := redisx.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	start := time.Now()
	if err := rdb.Get(context.Background(), "k").Err(); err == nil || errors.Is(err, redis.Nil) {
		t.Fatalf("get from a dead redis gave %v, want a connection error", err)
	}
	if took := time.Since(start); took > cfg.Timeout {
		t.Fatalf("a dead redis took %v to fail", took)
	}
}

// Proves DeletePrefix removes every key under the prefix, across more than
// one batch, and nothing else.
func TestDeletePrefixDeletesOnlyThePrefixsKeys(t *testing.T) {
	rdb, cfg := testenv.Redis(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pipe := rdb.Pipeline()
	const n = 1200 // more than two batches of 500
	for i := range n {
		pipe.Set(ctx, fmt.Sprintf("%sgone:%d", cfg.KeyPrefix, i), "x", time.Minute)
	}
	pipe.Set(ctx, cfg.KeyPrefix+"kept", "x", time.Minute)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	deleted, err := redisx.DeletePrefix(ctx, rdb, cfg.KeyPrefix+"gone:")
	if err != nil || deleted != n {
		t.Fatalf("DeletePrefix = %d, %v; want %d", deleted, err, n)
	}
	left, err := rdb.Keys(ctx, cfg.KeyPrefix+"*").Result()
	if err != nil || len(left) != 1 || left[0] != cfg.KeyPrefix+"kept" {
		t.Fatalf("keys left = %v, %v; want only %skept", left, err, cfg.KeyPrefix)
	}
}
