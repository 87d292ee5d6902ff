package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestRetryableIsWhatAClientShouldRetry(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"503 unavailable is retried", &apiError{Status: http.StatusServiceUnavailable, Code: "UNAVAILABLE"}, true},
		{"504 deadline exceeded is retried", &apiError{Status: http.StatusGatewayTimeout, Code: "DEADLINE_EXCEEDED"}, true},
		{"429 rate limited is retried", &apiError{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED"}, true},
		{"a wrapped 502 is retried", fmt.Errorf("create order: %w", &apiError{Status: http.StatusBadGateway}), true},
		{"a transport failure is retried", errors.New("connection refused"), true},
		{"409 insufficient stock is final", &apiError{Status: http.StatusConflict, Code: "INSUFFICIENT_STOCK"}, false},
		{"400 invalid argument is final", &apiError{Status: http.StatusBadRequest, Code: "INVALID_ARGUMENT"}, false},
		{"500 internal is final", &apiError{Status: http.StatusInternalServerError, Code: "INTERNAL"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryable(tt.err); got != tt.want {
				t.Fatalf("retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestRetryStopsAtSuccessAFinalErrorOrTheBudget(t *testing.T) {
	unavailable := &apiError{Status: http.StatusServiceUnavailable, Code: "UNAVAILABLE"}
	conflict := &apiError{Status: http.StatusConflict, Code: "INSUFFICIENT_STOCK"}
	tests := []struct {
		name        string
		budget      time.Duration
		answers     []error // the answer of each call; the last repeats
		wantErr     error
		wantCalls   int
		wantRetries int
	}{
		{"succeeds after two unavailable answers", time.Minute, []error{unavailable, unavailable, nil}, nil, 3, 2},
		{"a final error is returned at once", time.Minute, []error{conflict}, conflict, 1, 0},
		{"unavailable until the budget is spent", 250 * time.Millisecond, []error{unavailable}, unavailable, 2, 1},
		{"no budget means no retry", 0, []error{unavailable}, unavailable, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var retries tally
			calls := 0
			err := retry(context.Background(), tt.budget, &retries, func() error {
				answer := tt.answers[min(calls, len(tt.answers)-1)]
				calls++
				return answer
			})
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls || retries.total() != tt.wantRetries {
				t.Fatalf("%d calls and %d retries, want %d and %d", calls, retries.total(), tt.wantCalls, tt.wantRetries)
			}
		})
	}
}
