package service

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/rpc/order/events"
)

func TestScheduleTimeout(t *testing.T) {
	tests := []struct {
		name   string
		status order.OrderStatus
		want   int
	}{
		{"a pending order gets its timer at the end of its window", order.OrderStatus_PENDING_PAYMENT, 1},
		{"a paid order needs none", order.OrderStatus_PAID, 0},
		{"a cancelled order needs none", order.OrderStatus_CANCELLED, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := placed(t, f)
			f.orders.setStatus(id, tc.status)
			if err := NewScheduleTimeout(f.deps).Run(context.Background(), events.OrderCreated{OrderID: id}); err != nil {
				t.Fatal(err)
			}
			msgs := f.publisher.messages()
			if len(msgs) != tc.want {
				t.Fatalf("published %+v, want %d timer", msgs, tc.want)
			}
			if tc.want == 0 {
				return
			}
			created := testNow.UTC().Truncate(1e6)
			due := created.Add(f.deps.PaymentWindow)
			var ev events.OrderTimeout
			if err := json.Unmarshal(msgs[0].body, &ev); err != nil {
				t.Fatal(err)
			}
			if m := msgs[0]; m.topic != testTopics.OrderTimeout || m.key != "1001" || !m.deliverAt.Equal(due) ||
				ev != (events.OrderTimeout{OrderID: id, DueAtUnixMs: due.UnixMilli()}) {
				t.Fatalf("timer %+v body %+v, want order_timeout keyed 1001 due %v", m, ev, due)
			}
		})
	}
}

func TestScheduleTimeoutFailuresAreRetried(t *testing.T) {
	f := newFixture(t)
	if err := NewScheduleTimeout(f.deps).Run(context.Background(), events.OrderCreated{OrderID: 404}); err == nil {
		t.Fatal("an order.created for an order that is not stored was acknowledged")
	}
	id := placed(t, f)
	f.publisher.err = errDown
	if err := NewScheduleTimeout(f.deps).Run(context.Background(), events.OrderCreated{OrderID: id}); !errors.Is(err, errDown) {
		t.Fatalf("err %v, want the publish failure, so the broker redelivers", err)
	}
}
