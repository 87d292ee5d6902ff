package dal

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/user/service"
)

// openDB returns a migrated fresh database on the real MariaDB.
func openDB(t *testing.T) *gorm.DB {
	t.Helper()
	db, sqlDB := testenv.OpenMySQL(t, testenv.MySQL(t))
	if err := Migrate(context.Background(), sqlDB); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestUsersCreateAndRead(t *testing.T) {
	ctx := context.Background()
	repo := NewUsers(openDB(t))
	hash := []byte("stored-hash")
	created, err := repo.Create(ctx, "Ivan", "ivan", hash)
	if err != nil {
		t.Fatal(err)
	}
	if created.ID <= 0 || created.Username != "Ivan" || created.CreatedAt.IsZero() {
		t.Fatalf("created = %+v", created)
	}

	byID, err := repo.ByID(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if byID != created {
		t.Errorf("ByID = %+v, want %+v (times must round-trip at ms precision)", byID, created)
	}
	cred, err := repo.CredentialByUsername(ctx, "ivan")
	if err != nil {
		t.Fatal(err)
	}
	if cred.User != created || string(cred.PasswordHash) != string(hash) {
		t.Errorf("credential = %+v", cred)
	}
	if _, err := repo.ByID(ctx, created.ID+1000); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("ByID(unknown) err = %v, want ErrNotFound", err)
	}
	if _, err := repo.CredentialByUsername(ctx, "Ivan"); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("lookup is by the lower-case form only: err = %v, want ErrNotFound", err)
	}
}

func TestUsersByIDsLeavesUnknownOut(t *testing.T) {
	ctx := context.Background()
	repo := NewUsers(openDB(t))
	a, err := repo.Create(ctx, "a_user", "a_user", []byte("h"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := repo.Create(ctx, "b_user", "b_user", []byte("h"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := repo.ByIDs(ctx, []int64{b.ID, b.ID + 100, a.ID})
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{}
	for _, u := range got {
		ids = append(ids, u.ID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) != 2 || ids[0] != a.ID || ids[1] != b.ID {
		t.Errorf("ByIDs ids = %v, want [%d %d]", ids, a.ID, b.ID)
	}
}

func TestUsersConcurrentCreatesOfOneLowerCaseNameOneWins(t *testing.T) {
	ctx := context.Background()
	repo := NewUsers(openDB(t))
	names := []string{"Bob", "bob", "BOB", "bOb", "boB", "BoB"}
	var wg sync.WaitGroup
	errs := make([]error, len(names))
	start := make(chan struct{})
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = repo.Create(ctx, name, "bob", []byte("h"))
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, service.ErrUsernameTaken):
			t.Errorf("create %q: %v, want nil or ErrUsernameTaken", names[i], err)
		}
	}
	if won != 1 {
		t.Errorf("%d creates won, want exactly 1", won)
	}
}
