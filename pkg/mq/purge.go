package mq

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kitemall/platform/pkg/periodic"
)

// purgeBatch bounds one DELETE, so a purge never holds many row locks or a
// long transaction against the consumers writing the same table.
const purgeBatch = 1000

// PurgeProcessed deletes the records of the processed_messages table every
// consuming service owns (consumer, msg_key, processed_at) that are older
// than before, in batches, and returns how many it deleted.
func PurgeProcessed(ctx context.Context, db *sql.DB, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := db.ExecContext(ctx, `DELETE FROM processed_messages WHERE processed_at < ? LIMIT ?`, before.UTC(), purgeBatch)
		if err != nil {
			return total, fmt.Errorf("purge processed messages before %s: %w", before.UTC().Format(time.RFC3339), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("purge processed messages: %w", err)
		}
		total += n
		if n < purgeBatch {
			return total, nil
		}
	}
}

// StartPurger purges, every interval, the processed-message records older
// than retention; stop it with the returned loop's Stop. A retention of 0
// keeps every record and starts nothing.
func StartPurger(db *sql.DB, retention, interval time.Duration, log *slog.Logger) *periodic.Loop {
	if retention <= 0 {
		return nil
	}
	return periodic.Start(interval, func(ctx context.Context) {
		n, err := PurgeProcessed(ctx, db, time.Now().Add(-retention))
		if err != nil && !errors.Is(err, context.Canceled) {
			log.ErrorContext(ctx, "purge of processed-message records failed", "err", err)
		}
		if n > 0 {
			log.InfoContext(ctx, "purged processed-message records", "deleted", n, "retention", retention.String())
		}
	})
}
