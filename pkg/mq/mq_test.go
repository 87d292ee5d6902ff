package mq_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitemall/platform/pkg/mq"
	"github.com/kitemall/platform/pkg/testenv"
)

// Proves the platform's transactional path on the real broker: the local
// transaction answers "unknown", so nothing is delivered until the broker's
// check-back asks the producer, which commits from "durable" state; the
// consumer then receives the message exactly with its key and body. A second
// message whose check-back says "absent" is rolled back and never delivered.
func TestHalfMessageSettledByCheckBack(t *testing.T) {
	cfg := mq.DefaultConfig()
	cfg.NameServers = []string{testenv.RocketMQNameServer(t)}
	cfg.BrokerAddr = testenv.RocketMQBroker(t)
	run := testenv.Unique()
	topic, group := "smoke_tx_"+run, "smoke_tx_"+run

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := mq.CreateTopics(ctx, cfg, topic); err != nil {
		t.Fatal(err)
	}

	var committed sync.Map // key -> true once the "local transaction" is durable
	var checks atomic.Int32
	var badSentAt atomic.Value // the first implausible sentAt a check-back reported
	start := time.Now()
	p, err := mq.NewTxProducer(cfg, group+"_p", topic, func(ctx context.Context, key string, sentAt time.Time) (bool, error) {
		checks.Add(1)
		if sentAt.Before(start.Add(-time.Second)) || sentAt.After(time.Now()) {
			badSentAt.CompareAndSwap(nil, sentAt)
		}
		_, ok := committed.Load(key)
		return ok, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()

	got := make(chan mq.Message, 4)
	c, err := mq.NewConsumer(cfg, group+"_c", topic, mq.ConsumerOptions{FromFirstOffset: true}, func(ctx context.Context, m mq.Message) error {
		got <- m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()

	sendWithRetry := func(key string) {
		// The first send to a new topic can race the broker's route
		// publication; retry briefly instead of pre-creating topics.
		var err error
		for i := 0; i < 20; i++ {
			err = p.Send(ctx, topic, key, []byte("body-"+key), map[string]string{"traceparent": "00-x"}, func(context.Context) error {
				committed.Store(key+"-pending", true)
				return mq.ErrUnknown
			})
			if errors.Is(err, mq.ErrUnknown) {
				return
			}
			time.Sleep(500 * time.Millisecond)
		}
		t.Fatalf("send %s: %v", key, err)
	}
	sendWithRetry("commit-me")
	sendWithRetry("roll-me-back")
	committed.Store("commit-me", true) // the local transaction became durable after the send returned

	select {
	case m := <-got:
		if m.Key != "commit-me" || string(m.Body) != "body-commit-me" || m.Properties["traceparent"] != "00-x" {
			t.Fatalf("received %+v", m)
		}
		t.Logf("check-back committed the half message after %v (%d check-backs)", time.Since(start).Round(time.Millisecond), checks.Load())
	case <-ctx.Done():
		t.Fatalf("the committed message never arrived (%d check-backs)", checks.Load())
	}
	if checks.Load() == 0 {
		t.Fatal("the message arrived without a check-back; the local transaction said unknown")
	}
	if v := badSentAt.Load(); v != nil {
		t.Fatalf("a check-back reported the half message sent at %v, the test started at %v", v, start)
	}
	select {
	case m := <-got:
		t.Fatalf("a rolled-back or duplicate message was delivered: %+v", m)
	case <-time.After(5 * time.Second):
	}
}

// Proves a restarted producer answers the check-backs of the half messages
// its dead predecessor left open within seconds: the broker asks only the
// producers it knows, and without the warm-up the new producer would not be
// known until its heartbeat 30 s after start, after a broker that checks
// every second has given the messages up.
func TestRestartedProducerSettlesItsPredecessorsHalfMessages(t *testing.T) {
	cfg := mq.DefaultConfig()
	cfg.NameServers = []string{testenv.RocketMQNameServer(t)}
	cfg.BrokerAddr = testenv.RocketMQBroker(t)
	run := testenv.Unique()
	topic, group := "restart_tx_"+run, "restart_tx_"+run
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := mq.CreateTopics(ctx, cfg, topic); err != nil {
		t.Fatal(err)
	}
	got := make(chan mq.Message, 4)
	c, err := mq.NewConsumer(cfg, group+"_c", topic, mq.ConsumerOptions{FromFirstOffset: true}, func(ctx context.Context, m mq.Message) error {
		got <- m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()

	committed := func(context.Context, string, time.Time) (bool, error) { return true, nil }
	dead, err := mq.NewTxProducer(cfg, group+"_p", topic, committed)
	if err != nil {
		t.Fatal(err)
	}
	// The local transaction commits, and the process dies before it can
	// tell the broker: the outcome is left to a check-back.
	if err := dead.Send(ctx, topic, "k", []byte("committed"), nil, func(context.Context) error { return mq.ErrUnknown }); !errors.Is(err, mq.ErrUnknown) {
		t.Fatalf("send: %v", err)
	}
	if err := dead.Shutdown(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	restarted, err := mq.NewTxProducer(cfg, group+"_p", topic, committed)
	if err != nil {
		t.Fatal(err)
	}
	defer restarted.Shutdown()
	select {
	case m := <-got:
		t.Logf("the restarted producer's check-back committed the message %v after its start", time.Since(start).Round(time.Millisecond))
		if m.Key != "k" || string(m.Body) != "committed" {
			t.Fatalf("received %+v", m)
		}
		if took := time.Since(start); took > 15*time.Second {
			t.Fatalf("delivered %v after the restart, want within the broker's first checks", took)
		}
	case <-ctx.Done():
		t.Fatal("the half message of the dead producer was never settled")
	}
}
