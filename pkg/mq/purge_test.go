package mq_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/pkg/testenv"
)

// Proves the purge on MariaDB: every record older than the cut goes, in
// more than one batch, and every younger one stays.
func TestPurgeProcessedDeletesOnlyRecordsOlderThanTheCut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, db := testenv.OpenMySQL(t, testenv.MySQL(t))
	// The table as the order and payment services create it.
	if _, err := db.ExecContext(ctx, `CREATE TABLE processed_messages (
		consumer VARCHAR(64) NOT NULL, msg_key VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
		processed_at DATETIME(3) NOT NULL, PRIMARY KEY (consumer, msg_key)) ENGINE=InnoDB`); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	insert := func(consumer string, n int, at time.Time) {
		t.Helper()
		var q strings.Builder
		args := make([]any, 0, 3*n)
		q.WriteString("INSERT INTO processed_messages (consumer, msg_key, processed_at) VALUES ")
		for i := range n {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?)")
			args = append(args, consumer, fmt.Sprintf("%s-%d-%d", consumer, at.Unix(), i), at)
		}
		if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
			t.Fatal(err)
		}
	}
	const old = 2500 // more than one batch
	insert("order-payment", old/2, now.Add(-10*24*time.Hour))
	insert("order-timeout", old/2, now.Add(-8*24*time.Hour))
	insert("order-payment", 3, now.Add(-time.Hour))
	insert("order-timeout", 2, now.Add(-6*24*time.Hour))

	cut := now.Add(-7 * 24 * time.Hour)
	n, err := mq.PurgeProcessed(ctx, db, cut)
	if err != nil || n != old {
		t.Fatalf("PurgeProcessed = %d, %v; want %d deleted", n, err, old)
	}
	var left, older int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(processed_at < ?), 0) FROM processed_messages`, cut).Scan(&left, &older); err != nil {
		t.Fatal(err)
	}
	if left != 5 || older != 0 {
		t.Fatalf("%d records left, %d older than the cut; want the 5 younger ones", left, older)
	}
	if n, err := mq.PurgeProcessed(ctx, db, cut); err != nil || n != 0 {
		t.Fatalf("a second purge = %d, %v; want nothing to delete", n, err)
	}
}

func TestProcessedRetentionMustOutlastTheBrokersRetention(t *testing.T) {
	base := mq.FlowConfig{
		RocketMQ:       mq.DefaultConfig(),
		Consumer:       mq.ConsumerConfig{MaxReconsumes: 3, RetryDelayLevel: 1},
		LocalTxTimeout: time.Second, LocalTxWindow: 2 * time.Second,
	}
	for _, tc := range []struct {
		retention time.Duration
		ok        bool
	}{{0, true}, {mq.MinProcessedRetention, true}, {7 * 24 * time.Hour, true}, {24 * time.Hour, false}} {
		c := base
		c.ProcessedRetention = tc.retention
		if err := c.Validate("messaging"); (err == nil) != tc.ok {
			t.Errorf("processed_retention %v: Validate() = %v, want ok=%v", tc.retention, err, tc.ok)
		}
	}
}

// Proves the purger the services start runs PurgeProcessed with its
// retention on its own, and that retention 0 starts nothing.
func TestStartPurgerPurgesOnItsInterval(t *testing.T) {
	if mq.StartPurger(nil, 0, time.Millisecond, slog.Default()) != nil {
		t.Fatal("retention 0 started a purger")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, db := testenv.OpenMySQL(t, testenv.MySQL(t))
	if _, err := db.ExecContext(ctx, `CREATE TABLE processed_messages (
		consumer VARCHAR(64) NOT NULL, msg_key VARCHAR(128) NOT NULL,
		processed_at DATETIME(3) NOT NULL, PRIMARY KEY (consumer, msg_key)) ENGINE=InnoDB`); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := db.ExecContext(ctx, `INSERT INTO processed_messages VALUES ('c', 'old', ?), ('c', 'new', ?)`,
		now.Add(-100*time.Hour), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	loop := mq.StartPurger(db, mq.MinProcessedRetention, 20*time.Millisecond, slog.Default())
	defer loop.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var keys []string
		rows, err := db.QueryContext(ctx, `SELECT msg_key FROM processed_messages ORDER BY msg_key`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			keys = append(keys, k)
		}
		rows.Close()
		if len(keys) == 1 && keys[0] == "new" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("records left after 10 s: %v; want only the one younger than %v", keys, mq.MinProcessedRetention)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
