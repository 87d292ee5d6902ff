package service

import (
	"context"
	"fmt"

	"github.com/kitemall/platform/kitex_gen/user"
	"github.com/kitemall/platform/pkg/errs"
)

// MaxBatch bounds BatchGetUsers, so one fan-out call stays one cheap query.
const MaxBatch = 100

// BatchGetUsers reads many users at once for callers that fan out.
type BatchGetUsers struct{ deps Deps }

// NewBatchGetUsers returns the operation.
func NewBatchGetUsers(deps Deps) *BatchGetUsers { return &BatchGetUsers{deps: deps} }

// Run returns the known users in the order of their first mention; unknown
// and non-positive IDs are left out, duplicates answered once.
func (s *BatchGetUsers) Run(ctx context.Context, req *user.BatchGetUsersRequest) (*user.BatchGetUsersResponse, error) {
	if len(req.GetUserIds()) > MaxBatch {
		return nil, errs.InvalidArgument("at most %d user_ids per call, got %d", MaxBatch, len(req.GetUserIds()))
	}
	ids := make([]int64, 0, len(req.GetUserIds()))
	seen := make(map[int64]bool, len(req.GetUserIds()))
	for _, id := range req.GetUserIds() {
		if id > 0 && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	out := &user.BatchGetUsersResponse{Users: []*user.User{}}
	if len(ids) == 0 {
		return out, nil
	}
	found, err := s.deps.Users.ByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("get %d users: %w", len(ids), err)
	}
	byID := make(map[int64]User, len(found))
	for _, u := range found {
		byID[u.ID] = u
	}
	for _, id := range ids {
		if u, ok := byID[id]; ok {
			out.Users = append(out.Users, toIDL(u))
		}
	}
	return out, nil
}
