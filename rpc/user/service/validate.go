package service

import (
	"regexp"
	"strings"
)

const (
	minPasswordBytes = 8
	maxPasswordBytes = 128
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_]{3,32}$`)

func validUsername(name string) bool { return usernamePattern.MatchString(name) }

func validPassword(pw string) bool {
	return len(pw) >= minPasswordBytes && len(pw) <= maxPasswordBytes
}

// normalize is the unique form of a valid (ASCII-only) username.
func normalize(name string) string { return strings.ToLower(name) }
