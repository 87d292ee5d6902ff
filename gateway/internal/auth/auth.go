// Package auth issues and verifies the gateway's bearer tokens: HS256 JWTs
// carrying the user ID (sub), the username and a role, with an issuer and an
// expiry that are always checked.
package auth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/kitemall/platform/gateway/internal/config"
)

// Roles a token can carry.
const (
	RoleUser  = "user"
	RoleAdmin = "admin"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	UserID   int64
	Username string
	Role     string
}

// IsAdmin reports whether the caller may manage the catalog.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller set by the auth middleware.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// claims is the token payload.
type claims struct {
	jwt.RegisteredClaims
	Username string `json:"name"`
	Role     string `json:"role"`
}

// Tokens issues tokens with the current secret and verifies them with it
// or, during a rotation, with the previous one.
type Tokens struct {
	secret []byte
	keys   jwt.VerificationKeySet
	issuer string
	ttl    time.Duration
	admins map[string]bool
	now    func() time.Time
	parser *jwt.Parser
}

// NewTokens returns Tokens for cfg; now is the clock (time.Now outside tests).
func NewTokens(cfg config.AuthConfig, now func() time.Time) *Tokens {
	admins := make(map[string]bool, len(cfg.Admins))
	for _, a := range cfg.Admins {
		// Usernames are unique case-insensitively in the user service.
		admins[strings.ToLower(a)] = true
	}
	keys := jwt.VerificationKeySet{Keys: []jwt.VerificationKey{[]byte(cfg.Secret)}}
	if cfg.PreviousSecret != "" {
		keys.Keys = append(keys.Keys, []byte(cfg.PreviousSecret))
	}
	return &Tokens{
		secret: []byte(cfg.Secret),
		keys:   keys,
		issuer: cfg.Issuer,
		ttl:    cfg.TokenTTL,
		admins: admins,
		now:    now,
		parser: jwt.NewParser(
			// Pinning the method rejects "alg":"none" and key-confusion tokens.
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithIssuer(cfg.Issuer),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithTimeFunc(now),
		),
	}
}

// RoleFor returns the role a user's token carries.
func (t *Tokens) RoleFor(username string) string {
	if t.admins[strings.ToLower(username)] {
		return RoleAdmin
	}
	return RoleUser
}

// Issue returns a signed token for the user and when it expires.
func (t *Tokens) Issue(userID int64, username string) (string, time.Time, error) {
	now := t.now().UTC()
	exp := now.Add(t.ttl).Truncate(time.Second)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   strconv.FormatInt(userID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
		Username: username,
		Role:     t.RoleFor(username),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token for user %d: %w", userID, err)
	}
	return signed, exp, nil
}

// Verification errors: an expired token is told apart so the client knows
// to log in again; every other failure is ErrInvalidToken.
var (
	ErrInvalidToken = errors.New("invalid token")
	ErrTokenExpired = errors.New("token expired")
)

// Verify checks the signature, method, issuer and expiry of token and
// returns its caller.
func (t *Tokens) Verify(token string) (Principal, error) {
	var c claims
	if _, err := t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.keys, nil }); err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return Principal{}, ErrTokenExpired
		}
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	id, err := strconv.ParseInt(c.Subject, 10, 64)
	if err != nil || id <= 0 {
		return Principal{}, fmt.Errorf("%w: subject %q is not a user ID", ErrInvalidToken, c.Subject)
	}
	if c.Role != RoleUser && c.Role != RoleAdmin {
		return Principal{}, fmt.Errorf("%w: unknown role %q", ErrInvalidToken, c.Role)
	}
	return Principal{UserID: id, Username: c.Username, Role: c.Role}, nil
}
