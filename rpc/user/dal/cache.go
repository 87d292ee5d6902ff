package dal

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/rpc/user/service"
)

// CachedUsers puts a Redis cache-aside in front of ByID and ByIDs, the reads
// that fan-out callers repeat. A user never changes after registration, so
// entries need no invalidation; the TTL only bounds memory. Credentials are
// never cached. Redis is optional: when it fails, reads go to the database.
type CachedUsers struct {
	service.Users
	rdb     *redis.Client
	prefix  string
	ttl     time.Duration
	log     *slog.Logger
	lookups *observability.CacheLookups
}

// NewCachedUsers wraps next; keys are prefix + "id:" + ID. Each ID looked
// up is counted in lookups (which may be nil).
func NewCachedUsers(next service.Users, rdb *redis.Client, prefix string, ttl time.Duration, log *slog.Logger, lookups *observability.CacheLookups) *CachedUsers {
	return &CachedUsers{Users: next, rdb: rdb, prefix: prefix, ttl: ttl, log: log, lookups: lookups}
}

type cachedUser struct {
	ID              int64  `json:"id"`
	Username        string `json:"username"`
	CreatedAtUnixMs int64  `json:"created_at_ms"`
}

func (c *CachedUsers) key(id int64) string { return c.prefix + "id:" + strconv.FormatInt(id, 10) }

// ByID implements service.Users.
func (c *CachedUsers) ByID(ctx context.Context, id int64) (service.User, error) {
	raw, err := c.rdb.Get(ctx, c.key(id)).Bytes()
	switch {
	case err == nil:
		if u, ok := c.decode(ctx, raw); ok {
			c.lookups.Add(observability.CacheHit, 1)
			return u, nil
		}
		c.lookups.Add(observability.CacheError, 1)
	case errors.Is(err, redis.Nil):
		c.lookups.Add(observability.CacheMiss, 1)
	default:
		c.lookups.Add(observability.CacheError, 1)
		c.log.WarnContext(ctx, "user cache read failed, using the database", "user_id", id, "err", err)
	}
	u, err := c.Users.ByID(ctx, id)
	if err != nil {
		return service.User{}, err
	}
	c.store(ctx, []service.User{u})
	return u, nil
}

// ByIDs implements service.Users.
func (c *CachedUsers) ByIDs(ctx context.Context, ids []int64) ([]service.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = c.key(id)
	}
	out := make([]service.User, 0, len(ids))
	missing := ids
	vals, err := c.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		c.lookups.Add(observability.CacheError, len(ids))
		c.log.WarnContext(ctx, "user cache read failed, using the database", "users", len(ids), "err", err)
	} else {
		missing = make([]int64, 0, len(ids))
		unreadable := 0
		for i, v := range vals {
			s, isString := v.(string)
			if !isString {
				missing = append(missing, ids[i])
				continue
			}
			u, ok := c.decode(ctx, []byte(s))
			if !ok {
				missing = append(missing, ids[i])
				unreadable++
				continue
			}
			out = append(out, u)
		}
		c.lookups.Add(observability.CacheHit, len(out))
		c.lookups.Add(observability.CacheMiss, len(missing)-unreadable)
		c.lookups.Add(observability.CacheError, unreadable)
	}
	if len(missing) == 0 {
		return out, nil
	}
	loaded, err := c.Users.ByIDs(ctx, missing)
	if err != nil {
		return nil, err
	}
	c.store(ctx, loaded)
	return append(out, loaded...), nil
}

func (c *CachedUsers) decode(ctx context.Context, raw []byte) (service.User, bool) {
	var cu cachedUser
	if err := json.Unmarshal(raw, &cu); err != nil {
		c.log.WarnContext(ctx, "user cache entry unreadable, using the database", "err", err)
		return service.User{}, false
	}
	return service.User{ID: cu.ID, Username: cu.Username, CreatedAt: time.UnixMilli(cu.CreatedAtUnixMs).UTC()}, true
}

// store fills the cache in one round trip; a failure only costs a later miss.
func (c *CachedUsers) store(ctx context.Context, users []service.User) {
	if len(users) == 0 {
		return
	}
	pipe := c.rdb.Pipeline()
	for _, u := range users {
		raw, err := json.Marshal(cachedUser{ID: u.ID, Username: u.Username, CreatedAtUnixMs: u.CreatedAt.UnixMilli()})
		if err != nil {
			c.log.WarnContext(ctx, "encode user for cache", "user_id", u.ID, "err", err)
			return
		}
		pipe.Set(ctx, c.key(u.ID), raw, c.ttl)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		c.log.WarnContext(ctx, "user cache write failed", "users", len(users), "err", err)
	}
}
