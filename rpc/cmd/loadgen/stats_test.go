package main

import (
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty has no percentile", nil, 50, 0},
		{"one value is every percentile", ms(7), 99, 7 * time.Millisecond},
		{"median of ten is the fifth", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 50, 5 * time.Millisecond},
		{"p90 of ten is the ninth", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{"p99 of ten is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p100 is the maximum", ms(1, 5, 9), 100, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Fatalf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestTallyListsLargestCountFirst(t *testing.T) {
	var tl tally
	for _, k := range []string{"transport", "503 UNAVAILABLE", "503 UNAVAILABLE", "409 INSUFFICIENT_STOCK", "503 UNAVAILABLE", "transport"} {
		tl.add(k)
	}
	if got, want := tl.String(), "503 UNAVAILABLE=3 transport=2 409 INSUFFICIENT_STOCK=1"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if tl.total() != 6 {
		t.Fatalf("total() = %d, want 6", tl.total())
	}
	var empty tally
	if empty.String() != "none" {
		t.Fatalf("empty tally prints %q, want none", empty.String())
	}
}
