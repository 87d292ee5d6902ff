package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/kitex/client"
	"golang.org/x/crypto/bcrypt"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/kitex_gen/user/userservice"
	"github.com/kitemall/platform/pkg/errs"
	"github.com/kitemall/platform/pkg/kitexsuite"
	"github.com/kitemall/platform/pkg/mysqlx"
	"github.com/kitemall/platform/pkg/observability"
	"github.com/kitemall/platform/pkg/redisx"
	"github.com/kitemall/platform/pkg/testenv"
	"github.com/kitemall/platform/rpc/user/app"
)

// redisConfig returns a Redis config with a key prefix unique to this test
// and deletes every key under that prefix when the test ends.
func redisConfig(t *testing.T) redisx.Config {
	t.Helper()
	cfg := testenv.RedisConfig(t)
	return cfg
}

type started struct {
	cfg    *app.Config
	client userservice.Client
}

// startUser runs a real user service on the local stack, registered in etcd
// under a name unique to this test, and returns a Kitex client that finds it
// through etcd with the transport under test.
func startUser(t *testing.T) started {
	t.Helper()
	ctx := context.Background()
	cfg := app.DefaultConfig()
	cfg.Server.Service = "user-test-" + testenv.Unique()
	cfg.Server.Listen = testenv.FreeAddr(t)
	cfg.Server.Transport = testenv.Transport()
	cfg.Server.ExitWait = 100 * time.Millisecond
	cfg.Registry.Endpoints = testenv.EtcdEndpoints(t)
	cfg.MySQL = testenv.MySQL(t)
	cfg.Redis = redisConfig(t)
	cfg.BcryptCost = bcrypt.MinCost
	cfg.Observability = observability.Config{LogLevel: "warn"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tel, err := observability.Setup(ctx, "user", cfg.Observability)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(ctx, cfg, tel)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run() }()
	t.Cleanup(func() {
		if err := a.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		_ = tel.Shutdown(context.Background())
	})
	testenv.WaitInstances(t, cfg.Registry.Endpoints, cfg.Server.Service, 1)

	resolver, err := kitexsuite.NewResolver(cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	ccfg := kitexsuite.DefaultClientConfig(cfg.Server.Service, "GetUser", "BatchGetUsers")
	ccfg.Transport = testenv.Transport()
	cli, err := userservice.NewClient(cfg.Server.Service, client.WithSuite(kitexsuite.NewClientSuite("user-test", ccfg, resolver, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return started{cfg: cfg, client: cli}
}

func TestUserServiceOverKitex(t *testing.T) {
	s := startUser(t)
	ctx := context.Background()

	t.Run("ping names the service and the instance", func(t *testing.T) {
		resp, err := s.client.Ping(ctx, &base.PingRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Service != s.cfg.Server.Service || resp.Instance != s.cfg.Server.Listen {
			t.Errorf("ping = %+v", resp)
		}
		if d := time.Since(time.UnixMilli(resp.TimeUnixMs)); d < 0 || d > 5*time.Second {
			t.Errorf("ping time is %v away from now", d)
		}
	})

	t.Run("register, login, get and batch-get", func(t *testing.T) {
		reg, err := s.client.Register(ctx, &user.RegisterRequest{Username: "Olivia", Password: "password1"})
		if err != nil {
			t.Fatal(err)
		}
		id := reg.User.UserId
		login, err := s.client.Login(ctx, &user.LoginRequest{Username: "olivia", Password: "password1"})
		if err != nil {
			t.Fatal(err)
		}
		if login.User.UserId != id || login.User.Username != "Olivia" {
			t.Errorf("login user = %+v, want id %d Olivia", login.User, id)
		}
		got, err := s.client.GetUser(ctx, &user.GetUserRequest{UserId: id})
		if err != nil {
			t.Fatal(err)
		}
		if got.User.UserId != id || got.User.Username != "Olivia" || got.User.CreatedAtUnixMs != reg.User.CreatedAtUnixMs {
			t.Errorf("get user = %+v, want %+v", got.User, reg.User)
		}
		other, err := s.client.Register(ctx, &user.RegisterRequest{Username: "peter", Password: "password1"})
		if err != nil {
			t.Fatal(err)
		}
		batch, err := s.client.BatchGetUsers(ctx, &user.BatchGetUsersRequest{UserIds: []int64{other.User.UserId, id + 10_000, id}})
		if err != nil {
			t.Fatal(err)
		}
		if len(batch.Users) != 2 || batch.Users[0].Username != "peter" || batch.Users[1].Username != "Olivia" {
			t.Errorf("batch = %v, want [peter Olivia]", batch.Users)
		}
		_, err = s.client.GetUser(ctx, &user.GetUserRequest{UserId: id + 10_000})
		if !errs.Is(err, base.ErrorCode_NOT_FOUND) {
			t.Errorf("get unknown user: err = %v, want NOT_FOUND", err)
		}
	})

	t.Run("username is unique ignoring case", func(t *testing.T) {
		if _, err := s.client.Register(ctx, &user.RegisterRequest{Username: "Quinn", Password: "password1"}); err != nil {
			t.Fatal(err)
		}
		_, err := s.client.Register(ctx, &user.RegisterRequest{Username: "qUINN", Password: "password2"})
		if !errs.Is(err, base.ErrorCode_ALREADY_EXISTS) {
			t.Errorf("err = %v, want ALREADY_EXISTS", err)
		}
	})

	t.Run("concurrent registrations of one name in different cases: one wins", func(t *testing.T) {
		names := []string{"Robin", "robin", "ROBIN", "rObIn", "RoBiN", "robiN", "rOBIN", "ROBIn"}
		errList := make([]error, len(names))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, name := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errList[i] = s.client.Register(ctx, &user.RegisterRequest{Username: name, Password: "password1"})
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errList {
			switch {
			case err == nil:
				won++
			case !errs.Is(err, base.ErrorCode_ALREADY_EXISTS):
				t.Errorf("register %q: %v, want success or ALREADY_EXISTS", names[i], err)
			}
		}
		if won != 1 {
			t.Errorf("%d registrations won, want exactly 1", won)
		}
	})

	t.Run("bad registrations are INVALID_ARGUMENT", func(t *testing.T) {
		tests := []struct{ name, username, password string }{
			{"short username", "ab", "password1"},
			{"long username", strings.Repeat("u", 33), "password1"},
			{"username with a dot", "sam.smith", "password1"},
			{"short password", "samuel", "short"},
			{"long password", "samuel", strings.Repeat("p", 129)},
		}
		for _, tt := range tests {
			_, err := s.client.Register(ctx, &user.RegisterRequest{Username: tt.username, Password: tt.password})
			if !errs.Is(err, base.ErrorCode_INVALID_ARGUMENT) {
				t.Errorf("%s: err = %v, want INVALID_ARGUMENT", tt.name, err)
			}
		}
		batch := make([]int64, 101)
		_, err := s.client.BatchGetUsers(ctx, &user.BatchGetUsersRequest{UserIds: batch})
		if !errs.Is(err, base.ErrorCode_INVALID_ARGUMENT) {
			t.Errorf("batch of 101: err = %v, want INVALID_ARGUMENT", err)
		}
	})

	t.Run("login failures are indistinguishable", func(t *testing.T) {
		if _, err := s.client.Register(ctx, &user.RegisterRequest{Username: "tara", Password: "password1"}); err != nil {
			t.Fatal(err)
		}
		_, wrongPassword := s.client.Login(ctx, &user.LoginRequest{Username: "tara", Password: "password2"})
		_, unknownUser := s.client.Login(ctx, &user.LoginRequest{Username: "ursula", Password: "password1"})
		for _, err := range []error{wrongPassword, unknownUser} {
			if !errs.Is(err, base.ErrorCode_UNAUTHENTICATED) {
				t.Fatalf("err = %v, want UNAUTHENTICATED", err)
			}
		}
		if fmt.Sprint(wrongPassword) != fmt.Sprint(unknownUser) {
			t.Errorf("wrong password says %q, unknown user says %q", wrongPassword, unknownUser)
		}
	})

	t.Run("the database holds a bcrypt hash, never the password", func(t *testing.T) {
		const password = "victor-password-1"
		if _, err := s.client.Register(ctx, &user.RegisterRequest{Username: "Victor", Password: password}); err != nil {
			t.Fatal(err)
		}
		db, err := mysqlx.Open(ctx, s.cfg.MySQL)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if sqlDB, err := db.DB(); err == nil {
				sqlDB.Close()
			}
		}()
		var row struct {
			Username      string
			UsernameLower string
			PasswordHash  []byte
		}
		if err := db.Raw("SELECT username, username_lower, password_hash FROM users WHERE username_lower = ?", "victor").Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		if row.Username != "Victor" || row.UsernameLower != "victor" {
			t.Errorf("row = %q / %q, want Victor / victor", row.Username, row.UsernameLower)
		}
		if cost, err := bcrypt.Cost(row.PasswordHash); err != nil || cost != bcrypt.MinCost {
			t.Errorf("stored hash %q: cost %d, %v; want a bcrypt hash of cost %d", row.PasswordHash, cost, err, bcrypt.MinCost)
		}
		if strings.Contains(string(row.PasswordHash), password) {
			t.Errorf("stored hash contains the password")
		}
	})
}
