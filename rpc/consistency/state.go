package consistency

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// state is what Check reads of the three databases.
type state struct {
	products     []product
	ledger       map[int64]ledgerSums            // product ID ->
	moves        map[move]map[string]int         // (order, product) -> kind -> ledger rows
	reservations map[int64]reservation           // order ID ->
	orders       map[int64]ord                   // order ID ->
	payments     map[int64]pay                   // payment ID ->
	processed    map[string]map[string]time.Time // consumer -> key -> processed at
	duplicates   []duplicate
}

type product struct{ id, available, reserved, sold int64 }

type ledgerSums struct{ restocked, available, reserved, sold int64 }

type move struct{ order, product int64 }

type reservation struct {
	state     string
	createdAt time.Time
	items     map[int64]int64 // product ID -> quantity
}

type ord struct {
	id, total, paidPaymentID int64
	status                   int64
	cancelReason             string
	createdAt, updatedAt     time.Time
	items                    map[int64]int64 // product ID -> quantity
}

type pay struct {
	id, orderID, amount int64
	status              int64
	updatedAt           time.Time
}

type duplicate struct {
	consumer, key string
	n             int
}

// each runs query and calls scan for every row.
func each(ctx context.Context, tx *sql.Tx, query string, scan func(rows *sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("%s: %w", query, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("%s: %w", query, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", query, err)
	}
	return nil
}

func (s *state) loadProduct(ctx context.Context, tx *sql.Tx) error {
	s.ledger, s.moves, s.reservations = map[int64]ledgerSums{}, map[move]map[string]int{}, map[int64]reservation{}
	if err := each(ctx, tx, `SELECT id, available, reserved, sold FROM products`, func(r *sql.Rows) error {
		var p product
		if err := r.Scan(&p.id, &p.available, &p.reserved, &p.sold); err != nil {
			return err
		}
		s.products = append(s.products, p)
		return nil
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT product_id, COALESCE(SUM(CASE WHEN kind = 'restock' THEN available_delta ELSE 0 END), 0),
			COALESCE(SUM(available_delta), 0), COALESCE(SUM(reserved_delta), 0), COALESCE(SUM(sold_delta), 0)
		FROM stock_ledger GROUP BY product_id`, func(r *sql.Rows) error {
		var id int64
		var l ledgerSums
		if err := r.Scan(&id, &l.restocked, &l.available, &l.reserved, &l.sold); err != nil {
			return err
		}
		s.ledger[id] = l
		return nil
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT order_id, product_id, kind, COUNT(*) FROM stock_ledger
		WHERE order_id IS NOT NULL GROUP BY order_id, product_id, kind`, func(r *sql.Rows) error {
		var m move
		var kind string
		var n int
		if err := r.Scan(&m.order, &m.product, &kind, &n); err != nil {
			return err
		}
		if s.moves[m] == nil {
			s.moves[m] = map[string]int{}
		}
		s.moves[m][kind] = n
		return nil
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT order_id, state, created_at FROM stock_reservations`, func(r *sql.Rows) error {
		var id int64
		var res reservation
		if err := r.Scan(&id, &res.state, &res.createdAt); err != nil {
			return err
		}
		res.items = map[int64]int64{}
		s.reservations[id] = res
		return nil
	}); err != nil {
		return err
	}
	return each(ctx, tx, `SELECT order_id, product_id, quantity FROM stock_reservation_items`, func(r *sql.Rows) error {
		var id, productID, q int64
		if err := r.Scan(&id, &productID, &q); err != nil {
			return err
		}
		if res, ok := s.reservations[id]; ok {
			res.items[productID] = q
		}
		return nil
	})
}

func (s *state) loadOrder(ctx context.Context, tx *sql.Tx) error {
	s.orders = map[int64]ord{}
	if err := each(ctx, tx, `SELECT order_id, status, total_cents, COALESCE(paid_payment_id, 0), cancel_reason, created_at, updated_at FROM orders`, func(r *sql.Rows) error {
		var o ord
		if err := r.Scan(&o.id, &o.status, &o.total, &o.paidPaymentID, &o.cancelReason, &o.createdAt, &o.updatedAt); err != nil {
			return err
		}
		o.items = map[int64]int64{}
		s.orders[o.id] = o
		return nil
	}); err != nil {
		return err
	}
	if err := each(ctx, tx, `SELECT order_id, product_id, quantity FROM order_items`, func(r *sql.Rows) error {
		var id, productID, q int64
		if err := r.Scan(&id, &productID, &q); err != nil {
			return err
		}
		if o, ok := s.orders[id]; ok {
			o.items[productID] = q
		}
		return nil
	}); err != nil {
		return err
	}
	return s.loadProcessed(ctx, tx)
}

func (s *state) loadPayment(ctx context.Context, tx *sql.Tx) error {
	s.payments = map[int64]pay{}
	if err := each(ctx, tx, `SELECT id, order_id, amount_cents, status, updated_at FROM payments`, func(r *sql.Rows) error {
		var p pay
		if err := r.Scan(&p.id, &p.orderID, &p.amount, &p.status, &p.updatedAt); err != nil {
			return err
		}
		s.payments[p.id] = p
		return nil
	}); err != nil {
		return err
	}
	return s.loadProcessed(ctx, tx)
}

// loadProcessed reads a database's processed-message records; each
// service's consumers have names of their own.
func (s *state) loadProcessed(ctx context.Context, tx *sql.Tx) error {
	if s.processed == nil {
		s.processed = map[string]map[string]time.Time{}
	}
	return each(ctx, tx, `SELECT consumer, msg_key, MIN(processed_at), COUNT(*) FROM processed_messages GROUP BY consumer, msg_key`, func(r *sql.Rows) error {
		var consumer, key string
		var at time.Time
		var n int
		if err := r.Scan(&consumer, &key, &at, &n); err != nil {
			return err
		}
		if s.processed[consumer] == nil {
			s.processed[consumer] = map[string]time.Time{}
		}
		s.processed[consumer][key] = at
		if n > 1 {
			s.duplicates = append(s.duplicates, duplicate{consumer: consumer, key: key, n: n})
		}
		return nil
	})
}
