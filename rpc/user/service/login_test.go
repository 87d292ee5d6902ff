package service

import (
	"context"
	"sort"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
)

func TestLoginWithTheRightPasswordReturnsTheUser(t *testing.T) {
	deps := testDeps(t, newFakeUsers())
	want := mustRegister(t, deps, "Carol", "password1")
	// Any letter case of the username logs in; the answer keeps the
	// registered case.
	for _, name := range []string{"Carol", "carol", "CAROL"} {
		resp, err := NewLogin(deps).Run(context.Background(), &user.LoginRequest{Username: name, Password: "password1"})
		if err != nil {
			t.Fatalf("login as %q: %v", name, err)
		}
		if resp.User.UserId != want.ID || resp.User.Username != "Carol" {
			t.Errorf("login as %q = %+v, want id %d Carol", name, resp.User, want.ID)
		}
	}
}

func TestLoginFailuresAreIndistinguishable(t *testing.T) {
	deps := testDeps(t, newFakeUsers())
	mustRegister(t, deps, "dave", "password1")
	tests := []struct{ name, username, password string }{
		{"wrong password", "dave", "password2"},
		{"unknown user", "erin", "password1"},
		{"malformed username", "no such user!", "password1"},
		{"empty password", "dave", ""},
	}
	var messages []string
	for _, tt := range tests {
		_, err := NewLogin(deps).Run(context.Background(), &user.LoginRequest{Username: tt.username, Password: tt.password})
		se, ok := errs.As(err)
		if !ok || se.Code != base.ErrorCode_UNAUTHENTICATED {
			t.Fatalf("%s: err = %v, want UNAUTHENTICATED", tt.name, err)
		}
		messages = append(messages, se.Message)
	}
	for i, m := range messages {
		if m != messages[0] {
			t.Errorf("%s says %q, %s says %q", tests[i].name, m, tests[0].name, messages[0])
		}
	}
}

// Without the dummy comparison an unknown username answers in microseconds
// while a wrong password costs a bcrypt run, which reveals who exists.
func TestLoginUnknownUserTakesAsLongAsAWrongPassword(t *testing.T) {
	pw, err := NewPasswords(bcrypt.MinCost + 4)
	if err != nil {
		t.Fatal(err)
	}
	deps := testDeps(t, newFakeUsers())
	deps.Passwords = pw
	mustRegister(t, deps, "frank", "password1")
	median := func(username string) time.Duration {
		var ds []time.Duration
		for range 7 {
			start := time.Now()
			_, _ = NewLogin(deps).Run(context.Background(), &user.LoginRequest{Username: username, Password: "wrong-password"})
			ds = append(ds, time.Since(start))
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	wrong, unknown := median("frank"), median("grace")
	if unknown < wrong/3 {
		t.Errorf("unknown user took %v, wrong password %v: the difference reveals which users exist", unknown, wrong)
	}
}
