package service

import (
	"context"
	"reflect"
	"testing"

	"github.com/kitemall/platform/kitex_gen/base"
	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
)

func TestBatchGetUsers(t *testing.T) {
	deps := testDeps(t, newFakeUsers())
	a := mustRegister(t, deps, "ann", "password1")
	b := mustRegister(t, deps, "ben", "password1")
	c := mustRegister(t, deps, "cat", "password1")
	many := make([]int64, MaxBatch)
	for i := range many {
		many[i] = int64(i + 1)
	}
	tests := []struct {
		name    string
		ids     []int64
		wantIDs []int64
	}{
		{"answers in request order", []int64{c.ID, a.ID, b.ID}, []int64{c.ID, a.ID, b.ID}},
		{"unknown ids are left out", []int64{999, b.ID, 1000}, []int64{b.ID}},
		{"duplicates answered once", []int64{a.ID, a.ID, b.ID, a.ID}, []int64{a.ID, b.ID}},
		{"non-positive ids are left out", []int64{0, -a.ID, a.ID}, []int64{a.ID}},
		{"empty request gives empty answer", nil, []int64{}},
		{"exactly the maximum is allowed", many, []int64{a.ID, b.ID, c.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := NewBatchGetUsers(deps).Run(context.Background(), &user.BatchGetUsersRequest{UserIds: tt.ids})
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, u := range resp.Users {
				got = append(got, u.UserId)
			}
			if !reflect.DeepEqual(got, tt.wantIDs) {
				t.Errorf("ids = %v, want %v", got, tt.wantIDs)
			}
		})
	}
}

func TestBatchGetUsersRejectsMoreThanTheMaximum(t *testing.T) {
	ids := make([]int64, MaxBatch+1)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	_, err := NewBatchGetUsers(testDeps(t, newFakeUsers())).Run(context.Background(), &user.BatchGetUsersRequest{UserIds: ids})
	if !errs.Is(err, base.ErrorCode_INVALID_ARGUMENT) {
		t.Fatalf("err = %v, want INVALID_ARGUMENT", err)
	}
}
