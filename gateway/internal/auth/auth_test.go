package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kitemall/platform/gateway/internal/config"
)

const secret = "test-secret-0123456789abcdef0123456789"

func testTokens(now time.Time) *Tokens {
	return NewTokens(config.AuthConfig{
		Secret: secret, Issuer: "kitemall-gateway", TokenTTL: time.Hour, Admins: []string{"Admin"},
	}, func() time.Time { return now })
}

func TestIssueThenVerifyReturnsTheCaller(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tk := testTokens(now)
	token, exp, err := tk.Issue(42, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("expires %v, want %v", exp, now.Add(time.Hour))
	}
	p, err := tk.Verify(token)
	if err != nil {
		t.Fatal(err)
	}
	if p != (Principal{UserID: 42, Username: "alice", Role: RoleUser}) || p.IsAdmin() {
		t.Fatalf("principal = %+v", p)
	}
}

func TestAdminRoleComesFromConfigIgnoringCase(t *testing.T) {
	tk := testTokens(time.Now())
	for _, name := range []string{"admin", "ADMIN", "Admin"} {
		token, _, err := tk.Issue(1, name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := tk.Verify(token)
		if err != nil || !p.IsAdmin() {
			t.Fatalf("%s: principal %+v, err %v; want admin", name, p, err)
		}
	}
	if tk.RoleFor("administrator") != RoleUser {
		t.Fatal("a username merely containing admin got the admin role")
	}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRejectsBadTokens(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tk := testTokens(now)
	valid := func() claims {
		return claims{
			RegisteredClaims: jwt.RegisteredClaims{
				Issuer: "kitemall-gateway", Subject: "42",
				IssuedAt:  jwt.NewNumericDate(now.Add(-time.Minute)),
				ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
			},
			Username: "alice", Role: RoleUser,
		}
	}
	with := func(f func(*claims)) claims { c := valid(); f(&c); return c }
	good := sign(t, jwt.SigningMethodHS256, []byte(secret), valid())
	if _, err := tk.Verify(good); err != nil {
		t.Fatalf("the baseline token is rejected: %v", err)
	}
	parts := strings.Split(good, ".")

	tests := []struct {
		name      string
		token     string
		wantExpir bool
	}{
		{"expired", sign(t, jwt.SigningMethodHS256, []byte(secret), with(func(c *claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Second)) })), true},
		{"forged with another secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdef0123"), valid()), false},
		{"forged and expired", sign(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdef0123"), with(func(c *claims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Hour)) })), false},
		{"payload swapped to another user", parts[0] + "." + strings.Split(sign(t, jwt.SigningMethodHS256, []byte("x"), with(func(c *claims) { c.Subject = "1" })), ".")[1] + "." + parts[2], false},
		{"role raised without re-signing", parts[0] + "." + strings.Split(sign(t, jwt.SigningMethodHS256, []byte("x"), with(func(c *claims) { c.Role = RoleAdmin })), ".")[1] + "." + parts[2], false},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid()), false},
		{"HS512 with the right secret", sign(t, jwt.SigningMethodHS512, []byte(secret), valid()), false},
		{"wrong issuer", sign(t, jwt.SigningMethodHS256, []byte(secret), with(func(c *claims) { c.Issuer = "someone-else" })), false},
		{"no expiry", sign(t, jwt.SigningMethodHS256, []byte(secret), with(func(c *claims) { c.ExpiresAt = nil })), false},
		{"issued in the future", sign(t, jwt.SigningMethodHS256, []byte(secret), with(func(c *claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(time.Hour)) })), false},
		{"subject not a user ID", sign(t, jwt.SigningMethodHS256, []byte(secret), with(func(c *claims) { c.Subject = "alice" })), false},
		{"subject zero", sign(t, jwt.SigningMethodHS256, []byte(secret), with(func(c *claims) { c.Subject = "0" })), false},
		{"unknown role", sign(t, jwt.SigningMethodHS256, []byte(secret), with(func(c *claims) { c.Role = "root" })), false},
		{"garbage", "not.a.token", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tk.Verify(tc.token)
			if err == nil {
				t.Fatal("Verify accepted the token")
			}
			if got := errors.Is(err, ErrTokenExpired); got != tc.wantExpir {
				t.Fatalf("expired = %v (%v), want %v", got, err, tc.wantExpir)
			}
			if !tc.wantExpir && !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("err = %v, want ErrInvalidToken", err)
			}
		})
	}
}

func TestRotationAcceptsThePreviousSecretsTokensUntilItIsDropped(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	const older, newer, other = secret, "rotated-secret-0123456789abcdef0123", "unrelated-secret-0123456789abcdef012"
	cfg := config.AuthConfig{Issuer: "kitemall-gateway", TokenTTL: time.Hour}
	with := func(current, previous string) *Tokens {
		c := cfg
		c.Secret, c.PreviousSecret = current, previous
		return NewTokens(c, clock)
	}
	issue := func(tk *Tokens) string {
		t.Helper()
		token, _, err := tk.Issue(7, "bob")
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	beforeRotation, fromOther := issue(with(older, "")), issue(with(other, ""))
	during := with(newer, older)
	afterRotation := issue(during)
	tests := []struct {
		name   string
		tokens *Tokens
		token  string
		ok     bool
	}{
		{"during the rotation a token of the previous secret is accepted", during, beforeRotation, true},
		{"during the rotation new tokens are signed with the new secret", with(newer, ""), afterRotation, true},
		{"a token of an unrelated secret is refused", during, fromOther, false},
		{"once the previous secret is dropped its tokens are refused", with(newer, ""), beforeRotation, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.tokens.Verify(tc.token)
			if tc.ok && (err != nil || p.UserID != 7) {
				t.Fatalf("Verify = %+v, %v; want user 7", p, err)
			}
			if !tc.ok && !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify = %+v, %v; want ErrInvalidToken", p, err)
			}
		})
	}
}
