package dal

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/user/service"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func seed(t *testing.T, db *gorm.DB, names ...string) []service.User {
	t.Helper()
	repo := NewUsers(db)
	var out []service.User
	for _, n := range names {
		u, err := repo.Create(context.Background(), n, n, []byte("h"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, u)
	}
	return out
}

// deleteRows removes users behind the cache's back: a read that still finds
// them must have been served by Redis.
func deleteRows(t *testing.T, db *gorm.DB, ids ...int64) {
	t.Helper()
	if err := db.Exec("DELETE FROM users WHERE id IN ?", ids).Error; err != nil {
		t.Fatal(err)
	}
}

func TestCachedUsersByIDServesRepeatReadsFromRedis(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	rdb, cfg := testenv.Redis(t)
	cache := NewCachedUsers(NewUsers(db), rdb, cfg.KeyPrefix, time.Minute, discard, nil)
	u := seed(t, db, "judy")[0]

	first, err := cache.ByID(ctx, u.ID)
	if err != nil || first != u {
		t.Fatalf("first read = %+v, %v; want %+v", first, err, u)
	}
	ttl, err := rdb.TTL(ctx, cache.key(u.ID)).Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("cache entry ttl = %v, %v; want in (0, 1m]", ttl, err)
	}
	deleteRows(t, db, u.ID)
	second, err := cache.ByID(ctx, u.ID)
	if err != nil || second != u {
		t.Errorf("cached read = %+v, %v; want %+v", second, err, u)
	}
	t.Cleanup(func() { rdb.Del(context.Background(), cache.key(u.ID)) })
}

func TestCachedUsersByIDsMixesHitsAndMisses(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	rdb, cfg := testenv.Redis(t)
	cache := NewCachedUsers(NewUsers(db), rdb, cfg.KeyPrefix, time.Minute, discard, nil)
	us := seed(t, db, "kim", "leo", "max")
	t.Cleanup(func() {
		for _, u := range us {
			rdb.Del(context.Background(), cache.key(u.ID))
		}
	})

	// Warm only kim, then remove kim from the database: kim can now come
	// only from Redis, leo and max only from MariaDB.
	if _, err := cache.ByID(ctx, us[0].ID); err != nil {
		t.Fatal(err)
	}
	deleteRows(t, db, us[0].ID)
	got, err := cache.ByIDs(ctx, []int64{us[0].ID, us[1].ID, us[2].ID, us[2].ID + 100})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].ID < got[j].ID })
	if len(got) != 3 || got[0] != us[0] || got[1] != us[1] || got[2] != us[2] {
		t.Fatalf("ByIDs = %+v, want %+v", got, us)
	}
	// The misses were filled on the way.
	n, err := rdb.Exists(ctx, cache.key(us[1].ID), cache.key(us[2].ID)).Result()
	if err != nil || n != 2 {
		t.Errorf("filled entries = %d, %v; want 2", n, err)
	}
}

func TestCachedUsersFallBackToTheDatabaseWhenRedisIsDown(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	cfg := redisx.DefaultConfig("t:" + testenv.Unique() + ":")
	cfg.Addr = testenv.FreeAddr(t) // nothing listens there
	rdb, err := redisx.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	cache := NewCachedUsers(NewUsers(db), rdb, cfg.KeyPrefix, time.Minute, discard, nil)
	u := seed(t, db, "nina")[0]

	got, err := cache.ByID(ctx, u.ID)
	if err != nil || got != u {
		t.Errorf("ByID = %+v, %v; want %+v", got, err, u)
	}
	all, err := cache.ByIDs(ctx, []int64{u.ID})
	if err != nil || len(all) != 1 || all[0] != u {
		t.Errorf("ByIDs = %+v, %v; want [%+v]", all, err, u)
	}
}
