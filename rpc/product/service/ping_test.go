package service

import (
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
)

func TestPing_ReportsServiceInstanceAndCurrentTime(t *testing.T) {
	before := time.Now().UnixMilli()
	resp, err := NewPing(newDeps(t, nil, nil, nil)).Run(t.Context(), &base.PingRequest{})
	after := time.Now().UnixMilli()
	if err != nil {
		t.Fatal(err)
	}
	if resp.Service != "product" || resp.Instance != "127.0.0.1:1" {
		t.Fatalf("ping = %+v, want product at 127.0.0.1:1", resp)
	}
	if resp.TimeUnixMs < before || resp.TimeUnixMs > after {
		t.Fatalf("time %d not within [%d, %d]", resp.TimeUnixMs, before, after)
	}
}
