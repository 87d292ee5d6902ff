package service

import (
	"context"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
)

func TestGetUser(t *testing.T) {
	deps := testDeps(t, newFakeUsers())
	heidi := mustRegister(t, deps, "Heidi", "password1")
	tests := []struct {
		name     string
		id       int64
		wantCode base.ErrorCode
	}{
		{"registered user is found", heidi.ID, 0},
		{"unknown id is NOT_FOUND", heidi.ID + 1, base.ErrorCode_NOT_FOUND},
		{"zero id is INVALID_ARGUMENT", 0, base.ErrorCode_INVALID_ARGUMENT},
		{"negative id is INVALID_ARGUMENT", -1, base.ErrorCode_INVALID_ARGUMENT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := NewGetUser(deps).Run(context.Background(), &user.GetUserRequest{UserId: tt.id})
			if tt.wantCode != 0 {
				if !errs.Is(err, tt.wantCode) {
					t.Fatalf("err = %v, want %v", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.User.UserId != heidi.ID || resp.User.Username != "Heidi" {
				t.Errorf("user = %+v", resp.User)
			}
		})
	}
}
