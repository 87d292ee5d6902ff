package dal

import (
	"context"
	"database/sql"
	"errors"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// maxTxAttempts bounds the reruns of a transaction that InnoDB rolled back
// to break a deadlock. Lock ordering rules out deadlocks between stock
// updates, but not InnoDB's duplicate-key one: when the first ReserveStock
// of an order rolls back while two more calls for the order wait on its
// insert, both take shared locks on the freed key and one is chosen victim.
const maxTxAttempts = 3

// transact runs fn in a transaction and reruns it when it was a deadlock
// victim; InnoDB has rolled the whole transaction back then, so fn must
// rebuild its results on each attempt.
func transact(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error, opts ...*sql.TxOptions) error {
	var err error
	for range maxTxAttempts {
		if err = db.WithContext(ctx).Transaction(fn, opts...); !isDeadlock(err) {
			return err
		}
	}
	return err
}

func isDeadlock(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1213
}
