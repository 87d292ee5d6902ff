package dal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kitemall/platform/rpc/order/service"
)

// ErrLockBusy is returned when a lock stayed taken for the whole wait.
var ErrLockBusy = errors.New("lock is busy")

// unlockScript deletes the lock only if it still holds our token, so a
// holder whose lock expired cannot free the next holder's lock.
var unlockScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0`)

// Locks is a service.Locker over Redis: SET NX with an expiry, so a crashed
// holder frees its lock after ttl. It is advisory: the service's
// correctness rests on the database's unique key, not on this lock.
type Locks struct {
	rdb    *redis.Client
	prefix string
	ttl    time.Duration
	wait   time.Duration
	poll   time.Duration
}

var _ service.Locker = (*Locks)(nil)

// NewLocks returns locks under prefix that expire after ttl and are waited
// for at most wait.
func NewLocks(rdb *redis.Client, prefix string, ttl, wait time.Duration) *Locks {
	return &Locks{rdb: rdb, prefix: prefix + "lock:", ttl: ttl, wait: wait, poll: 20 * time.Millisecond}
}

// Lock implements service.Locker.
func (l *Locks) Lock(ctx context.Context, name string) (func() error, error) {
	key := l.prefix + name
	token := rand.Text()

	// The wait bounds only the sleeping between attempts; each attempt is
	// bounded by the Redis client's own timeouts, so a slow Redis is
	// reported as an error rather than as a busy lock.
	deadline := time.Now().Add(l.wait)
	for {
		ok, err := l.rdb.SetNX(ctx, key, token, l.ttl).Result()
		if err != nil {
			return nil, fmt.Errorf("take lock %s: %w", key, err)
		}
		if ok {
			return func() error {
				// The request may have ended with its context; the lock
				// must still be freed, within Redis's own timeouts.
				if err := unlockScript.Run(context.WithoutCancel(ctx), l.rdb, []string{key}, token).Err(); err != nil {
					return fmt.Errorf("free lock %s: %w", key, err)
				}
				return nil
			}, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("take lock %s within %v: %w", key, l.wait, ErrLockBusy)
		}
		timer := time.NewTimer(min(l.poll, left))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("take lock %s: %w", key, ctx.Err())
		case <-timer.C:
		}
	}
}
