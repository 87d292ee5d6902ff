package service

import (
	"context"
	"testing"
	"time"

	"github.com/kitemall/platform/kitex_gen/base"
)

func TestPingReportsServiceInstanceAndCurrentTime(t *testing.T) {
	deps := testDeps(t, newFakeUsers())
	before := time.Now().UnixMilli()
	resp, err := NewPing(deps).Run(context.Background(), &base.PingRequest{})
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().UnixMilli()
	if resp.Service != deps.Service || resp.Instance != deps.Instance {
		t.Errorf("ping = %+v, want service %q instance %q", resp, deps.Service, deps.Instance)
	}
	if resp.TimeUnixMs < before || resp.TimeUnixMs > after {
		t.Errorf("time %d not within [%d, %d]", resp.TimeUnixMs, before, after)
	}
}
