package consistency

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kitemall/platform/pkg/mysqlx"
)

// Open connects to the three services' databases.
func Open(ctx context.Context, product, order, payment mysqlx.Config) (DBs, error) {
	var dbs DBs
	for _, c := range []struct {
		cfg mysqlx.Config
		dst **sql.DB
	}{{product, &dbs.Product}, {order, &dbs.Order}, {payment, &dbs.Payment}} {
		g, err := mysqlx.Open(ctx, c.cfg)
		if err != nil {
			return DBs{}, errors.Join(err, dbs.Close())
		}
		if *c.dst, err = g.DB(); err != nil {
			return DBs{}, errors.Join(fmt.Errorf("database handle of %s: %w", c.cfg.Database, err), dbs.Close())
		}
	}
	return dbs, nil
}

// Close closes the databases that are open.
func (d DBs) Close() error {
	var errList []error
	for _, db := range []*sql.DB{d.Product, d.Order, d.Payment} {
		if db != nil {
			errList = append(errList, db.Close())
		}
	}
	return errors.Join(errList...)
}
