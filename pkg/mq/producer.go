package mq

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"go.opentelemetry.io/otel/trace"
)

// CheckFunc answers the broker's check-back for a half message from durable
// state, looked up by the message key (never by transaction ID): commit when
// the business row exists, rollback when it is known to be absent for good,
// or an error to be asked again later. sentAt is when the producer sent the
// half message (its born timestamp): a row still absent long after it
// means the local transaction is over and never committed.
type CheckFunc func(ctx context.Context, key string, sentAt time.Time) (commit bool, err error)

// checkTimeout bounds one check-back. The client answers check-backs one at
// a time, so a slow one delays all the others.
const checkTimeout = 5 * time.Second

// LocalTx is the local transaction run after the half message is stored:
// nil commits the message, ErrUnknown leaves it to the check-back, any
// other error rolls it back.
type LocalTx func(ctx context.Context) error

// TxProducer sends transactional messages for one producer group.
type TxProducer struct {
	p       rocketmq.TransactionProducer
	check   CheckFunc
	pending sync.Map // local id -> *pendingTx, for the duration of one send
	nextID  atomic.Uint64
}

type pendingTx struct {
	ctx   context.Context
	local LocalTx
	err   error
}

const localIDProperty = "PLATFORM_LOCAL_TX"

// NewTxProducer creates and starts the group's transaction producer, whose
// messages go to topic. Create one per group per process and keep it
// running while check-backs may come.
//
// A check-back reaches only a producer the broker knows, and the broker
// gives a half message up (rolls it back) after transactionCheckMax
// unanswered checks. The client registers with a heartbeat one second
// after it starts, to the brokers whose routes it has by then, and next 30
// seconds later; a producer that has sent nothing yet has no routes, so a
// restarted process would stay unknown for 30 s, long enough for a broker
// that checks every second to give up the half messages of the process
// that died. So NewTxProducer sends a warm-up half message to topic, rolled
// back at once and never delivered, which fetches the route before the
// first heartbeat; if that took too long, it starts over with a new client.
func NewTxProducer(cfg Config, group, topic string, check CheckFunc) (*TxProducer, error) {
	QuietClientLogs()
	var err error
	for i := range warmUpAttempts {
		if i > 0 {
			// A topic created a moment ago may not have its route yet.
			time.Sleep(500 * time.Millisecond)
		}
		var tp *TxProducer
		if tp, err = startTxProducer(cfg, group, topic, check); err == nil {
			return tp, nil
		}
	}
	return nil, err
}

// warmUpAttempts bounds the producers NewTxProducer starts; warmUpWithin
// is how soon after its start a producer's warm-up must be done to be sure
// it came before the client's first heartbeat, one second after the start.
const (
	warmUpAttempts = 5
	warmUpWithin   = 800 * time.Millisecond
	warmUpID       = "warm-up"
)

func startTxProducer(cfg Config, group, topic string, check CheckFunc) (*TxProducer, error) {
	tp := &TxProducer{check: check}
	p, err := rocketmq.NewTransactionProducer(listener{tp},
		producer.WithNameServer(cfg.NameServers),
		producer.WithGroupName(group),
		producer.WithInstanceName(instanceName(group)),
		producer.WithSendMsgTimeout(cfg.SendTimeout),
		producer.WithRetry(cfg.Retries),
	)
	if err != nil {
		return nil, fmt.Errorf("create transaction producer %s: %w", group, err)
	}
	start := time.Now()
	if err := p.Start(); err != nil {
		return nil, fmt.Errorf("start transaction producer %s: %w", group, err)
	}
	tp.p = p
	msg := newMessage(topic, warmUpID, []byte(warmUpID))
	msg.WithProperty(localIDProperty, warmUpID)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.SendTimeout)
	defer cancel()
	_, err = p.SendMessageInTransaction(ctx, msg)
	switch took := time.Since(start); {
	case err != nil:
		err = fmt.Errorf("transaction producer %s: warm-up message to %s: %w", group, topic, err)
	case took > warmUpWithin:
		err = fmt.Errorf("transaction producer %s: warm-up message to %s took %v, maybe after the first heartbeat", group, topic, took)
	default:
		return tp, nil
	}
	_ = p.Shutdown()
	return nil, err
}

// Send stores a half message, runs local, and commits or rolls the message
// back by its outcome. It returns local's error; when the half message
// cannot be stored, local does not run and the send error is returned. The
// trace context of ctx travels in the message's properties. A
// transactional message cannot be delayed: send a separate plain message
// with WithDelayTimestamp once this one has committed.
func (tp *TxProducer) Send(ctx context.Context, topic, key string, body []byte, props map[string]string, local LocalTx) (err error) {
	id := strconv.FormatUint(tp.nextID.Add(1), 10)
	msg := newMessage(topic, key, body)
	ctx, span := startSend(ctx, msg, key)
	defer func() { endSpan(span, err) }()
	withProperties(msg, props)
	msg.WithProperty(localIDProperty, id)

	pt := &pendingTx{ctx: ctx, local: local}
	tp.pending.Store(id, pt)
	defer tp.pending.Delete(id)
	res, err := tp.p.SendMessageInTransaction(ctx, msg)
	if err != nil {
		return fmt.Errorf("send half message %s/%s: %w", topic, key, err)
	}
	if res.Status != primitive.SendOK {
		return fmt.Errorf("send half message %s/%s: broker status %d", topic, key, res.Status)
	}
	return pt.err
}

// newMessage builds a message with its key; its properties are set by
// withProperties once the trace context is in.
func newMessage(topic, key string, body []byte) *primitive.Message {
	msg := primitive.NewMessage(topic, body)
	msg.WithKeys([]string{key})
	return msg
}

// withProperties sets props on msg, over the injected trace context: a
// caller that names a property knows better. WithProperties would replace
// the whole map (the keys included), so each is set on its own.
func withProperties(msg *primitive.Message, props map[string]string) {
	for k, v := range props {
		msg.WithProperty(k, v)
	}
}

// Shutdown stops the producer; call it after the service has drained.
func (tp *TxProducer) Shutdown() error {
	return tp.p.Shutdown()
}

type listener struct{ tp *TxProducer }

func (l listener) ExecuteLocalTransaction(msg *primitive.Message) primitive.LocalTransactionState {
	if msg.GetProperty(localIDProperty) == warmUpID {
		return primitive.RollbackMessageState
	}
	v, ok := l.tp.pending.Load(msg.GetProperty(localIDProperty))
	if !ok {
		// Not ours to decide: the check-back will answer from durable state.
		return primitive.UnkonwnState
	}
	pt := v.(*pendingTx)
	pt.err = pt.local(pt.ctx)
	switch {
	case pt.err == nil:
		return primitive.CommitMessageState
	case errors.Is(pt.err, ErrUnknown):
		return primitive.UnkonwnState
	default:
		return primitive.RollbackMessageState
	}
}

func (l listener) CheckLocalTransaction(msg *primitive.MessageExt) primitive.LocalTransactionState {
	if msg.GetProperty(localIDProperty) == warmUpID {
		return primitive.RollbackMessageState
	}
	key := msg.GetKeys()
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	ctx, span := startReceive(ctx, msg.Topic+" check", msg.GetProperties(), trace.SpanKindInternal, messageAttrs(msg.Topic, key)...)
	commit, err := l.tp.check(ctx, key, time.UnixMilli(msg.BornTimestamp))
	endSpan(span, err)
	switch {
	case err != nil:
		return primitive.UnkonwnState
	case commit:
		return primitive.CommitMessageState
	default:
		return primitive.RollbackMessageState
	}
}
