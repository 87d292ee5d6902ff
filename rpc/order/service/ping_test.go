package service

import (
	"context"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
)

func TestPingReportsServiceInstanceAndClock(t *testing.T) {
	resp, err := NewPing(newFixture(t).deps).Run(context.Background(), &base.PingRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := base.PingResponse{Service: "order", Instance: "127.0.0.1:8883", TimeUnixMs: testNow.UnixMilli()}
	if *resp != want {
		t.Fatalf("got %+v, want %+v", *resp, want)
	}
}
