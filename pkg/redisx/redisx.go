// Package redisx opens a traced go-redis client.
package redisx

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/extra/redisotel/v9"
	"github.com/redis/go-redis/v9"
)

// Config locates Redis.
type Config struct {
	Addr     string `yaml:"addr" env:"REDIS_ADDR"`
	Password string `yaml:"password" env:"REDIS_PASSWORD"`
	DB       int    `yaml:"db" env:"REDIS_DB"`
	// Timeout bounds dials, reads and writes: a cache that is slow must
	// fail fast so callers fall back to the database.
	Timeout time.Duration `yaml:"timeout"`
	// KeyPrefix namespaces keys, so services and test runs never collide.
	KeyPrefix string `yaml:"key_prefix" env:"REDIS_KEY_PREFIX"`
}

// DefaultConfig returns local-stack defaults.
func DefaultConfig(prefix string) Config {
	return Config{Addr: "127.0.0.1:6379", Timeout: 200 * time.Millisecond, KeyPrefix: prefix}
}

// Validate checks the config; key is the config key prefix for messages.
func (c Config) Validate(key string) error {
	if c.Addr == "" {
		return fmt.Errorf("%s.addr: must be host:port", key)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("%s.timeout: must be positive", key)
	}
	return nil
}

// Open returns a client; it does not require Redis to be up, because
// callers treat the cache as optional.
func Open(c Config) (*redis.Client, error) {
	rdb := redis.NewClient(&redis.Options{
		Addr: c.Addr, Password: c.Password, DB: c.DB,
		DialTimeout: c.Timeout, ReadTimeout: c.Timeout, WriteTimeout: c.Timeout,
		// -1 disables go-redis retries: a cache miss is cheaper than a retry storm.
		MaxRetries: -1,
		// One dial per attempt: go-redis otherwise re-dials 5 times with
		// 100 ms pauses, so every command to a dead Redis took ~400 ms.
		DialerRetries: 1,
	})
	if err := redisotel.InstrumentTracing(rdb); err != nil {
		return nil, fmt.Errorf("instrument redis tracing: %w", err)
	}
	return rdb, nil
}

// DeletePrefix deletes every key that starts with prefix, scanning in
// batches (never KEYS, which blocks Redis), and returns how many it deleted.
func DeletePrefix(ctx context.Context, rdb *redis.Client, prefix string) (int, error) {
	const batch = 500
	iter := rdb.Scan(ctx, 0, prefix+"*", batch).Iterator()
	keys := make([]string, 0, batch)
	deleted := 0
	flush := func() error {
		if len(keys) == 0 {
			return nil
		}
		if err := rdb.Del(ctx, keys...).Err(); err != nil {
			return fmt.Errorf("delete redis keys %s*: %w", prefix, err)
		}
		deleted += len(keys)
		keys = keys[:0]
		return nil
	}
	for iter.Next(ctx) {
		if keys = append(keys, iter.Val()); len(keys) == batch {
			if err := flush(); err != nil {
				return deleted, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return deleted, fmt.Errorf("scan redis keys %s*: %w", prefix, err)
	}
	return deleted, flush()
}
