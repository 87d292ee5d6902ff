package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/payment"
	"github.com/kitemall/platform/pkg/mysqlx"
)

// databases are read-only handles on the services' databases: the final
// state of a run is read where it is stored, not through the API.
type databases struct {
	product, order, payment *sql.DB
}

func openDatabases(ctx context.Context, cfg config) (*databases, error) {
	open := func(name string) (*sql.DB, error) {
		c := cfg.MySQL
		c.Database = name
		gdb, err := mysqlx.Open(ctx, c)
		if err != nil {
			return nil, err
		}
		return gdb.DB()
	}
	d := &databases{}
	var err error
	if d.product, err = open(cfg.ProductDB); err != nil {
		return nil, err
	}
	if d.order, err = open(cfg.OrderDB); err != nil {
		return nil, errors.Join(err, d.close())
	}
	if d.payment, err = open(cfg.PaymentDB); err != nil {
		return nil, errors.Join(err, d.close())
	}
	return d, nil
}

func (d *databases) close() error {
	var errList []error
	for _, db := range []*sql.DB{d.product, d.order, d.payment} {
		if db != nil {
			errList = append(errList, db.Close())
		}
	}
	return errors.Join(errList...)
}

// now is the database's clock, which stamps the rows the run creates.
func (d *databases) now(ctx context.Context) (time.Time, error) {
	var t time.Time
	if err := d.order.QueryRowContext(ctx, "SELECT UTC_TIMESTAMP(3)").Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("read the database clock: %w", err)
	}
	return t, nil
}

// settledState is the run's orders and payments by status.
type settledState struct {
	orders, payments *tally
	// done is true when no order is PENDING_PAYMENT and no payment PENDING.
	done   bool
	waited time.Duration
	// phasePaid orders of the orders phase are PAID; the last moved to
	// PAID paidSpan after the phase started.
	phasePaid int64
	paidSpan  time.Duration
}

// waitSettled polls until every order and payment created since the run
// started is final, or timeout passes; phase is when the orders phase began.
func (d *databases) waitSettled(ctx context.Context, since, phase time.Time, timeout time.Duration) (settledState, error) {
	start := time.Now()
	for {
		s, err := d.settled(ctx, since, phase)
		if err != nil {
			return s, err
		}
		s.waited = time.Since(start)
		if s.done || s.waited > timeout {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (d *databases) settled(ctx context.Context, since, phase time.Time) (settledState, error) {
	s := settledState{orders: &tally{}, payments: &tally{}}
	pending := 0
	count := func(db *sql.DB, query string, name func(int64) string, pendingStatus int64, into *tally) error {
		rows, err := db.QueryContext(ctx, query, since)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var status, n int64
			if err := rows.Scan(&status, &n); err != nil {
				return err
			}
			into.n[name(status)] = int(n)
			if status == pendingStatus {
				pending += int(n)
			}
		}
		return rows.Err()
	}
	s.orders.n, s.payments.n = map[string]int{}, map[string]int{}
	err := count(d.order, "SELECT status, COUNT(*) FROM orders WHERE created_at >= ? GROUP BY status",
		func(v int64) string { return order.OrderStatus(v).String() }, int64(order.OrderStatus_PENDING_PAYMENT), s.orders)
	if err != nil {
		return s, fmt.Errorf("count orders: %w", err)
	}
	err = count(d.payment, "SELECT status, COUNT(*) FROM payments WHERE created_at >= ? GROUP BY status",
		func(v int64) string { return payment.PaymentStatus(v).String() }, int64(payment.PaymentStatus_PENDING), s.payments)
	if err != nil {
		return s, fmt.Errorf("count payments: %w", err)
	}
	s.done = pending == 0
	var last sql.NullTime
	err = d.order.QueryRowContext(ctx, "SELECT COUNT(*), MAX(updated_at) FROM orders WHERE created_at >= ? AND status = ?",
		phase, int64(order.OrderStatus_PAID)).Scan(&s.phasePaid, &last)
	if err != nil {
		return s, fmt.Errorf("last paid order: %w", err)
	}
	if last.Valid {
		s.paidSpan = last.Time.Sub(phase)
	}
	return s, nil
}
