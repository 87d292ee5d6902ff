package rpcbench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kitemall/platform/benchmarks/codec"
	"github.com/kitemall/platform/kitex_gen/order"
)

// RawTCP is the machine's ceiling: the same request and response bytes
// (Kitex's Thrift encoding of the fixture, 4-byte length framed) over plain
// TCP with one connection per caller, and no codec, framework or handler
// work on either side.
type RawTCP struct{}

func (RawTCP) Name() string { return "raw-tcp" }

// maxFrame bounds what a raw-tcp peer accepts, so a corrupt length cannot
// make it allocate without limit.
const maxFrame = 1 << 20

func (RawTCP) Serve(ctx context.Context, ln net.Listener, cfg ServerConfig) error {
	resp, err := codec.FastCodec{}.Encode(nil, Response())
	if err != nil {
		return err
	}
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(resp)))
	frame = append(frame, resp...)
	holdReq, err := codec.FastCodec{}.Encode(nil, Request(true))
	if err != nil {
		return err
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			stop := context.AfterFunc(ctx, func() { conn.Close() })
			defer stop()
			serveRaw(ctx, conn, frame, holdReq, cfg.Hold)
		}()
	}
}

func serveRaw(ctx context.Context, conn net.Conn, frame, holdReq []byte, holdFor time.Duration) {
	r := bufio.NewReader(conn)
	var buf []byte
	for {
		var err error
		if buf, err = readFrame(r, buf); err != nil {
			return
		}
		if bytes.Equal(buf, holdReq) {
			hold(ctx, holdFor)
		}
		if _, err := conn.Write(frame); err != nil {
			return
		}
	}
}

func readFrame(r io.Reader, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return buf, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxFrame {
		return buf, fmt.Errorf("raw-tcp: frame of %d bytes exceeds %d", n, maxFrame)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

func (RawTCP) Dial(addr string, cfg ClientConfig) (Client, error) {
	reqs, err := newRequests(func(r *order.CreateOrderRequest) ([]byte, error) {
		b, err := codec.FastCodec{}.Encode(nil, r)
		return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...), err
	})
	if err != nil {
		return nil, err
	}
	want, err := codec.FastCodec{}.Encode(nil, Response())
	if err != nil {
		return nil, err
	}
	return &rawClient{
		addr:    addr,
		reqs:    reqs,
		want:    want,
		timeout: cfg.timeout(),
		idle:    make(chan *rawConn, cfg.poolSize()),
	}, nil
}

// rawClient keeps a pool of connections, one per concurrent caller, like
// Kitex's pool; a call owns its connection until the answer is read.
type rawClient struct {
	addr    string
	reqs    requests[[]byte]
	want    []byte
	timeout time.Duration
	idle    chan *rawConn
	closed  atomic.Bool
}

type rawConn struct {
	net.Conn
	r   *bufio.Reader
	buf []byte
}

func (c *rawClient) get() (*rawConn, error) {
	select {
	case rc := <-c.idle:
		return rc, nil
	default:
	}
	conn, err := net.DialTimeout("tcp", c.addr, time.Second)
	if err != nil {
		return nil, err
	}
	return &rawConn{Conn: conn, r: bufio.NewReader(conn)}, nil
}

func (c *rawClient) put(rc *rawConn) {
	if !c.closed.Load() {
		select {
		case c.idle <- rc:
			return
		default:
		}
	}
	rc.Close()
}

func (c *rawClient) roundTrip(ctx context.Context, held bool) ([]byte, *rawConn, error) {
	rc, err := c.get()
	if err != nil {
		return nil, nil, err
	}
	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := rc.SetDeadline(deadline); err != nil {
		rc.Close()
		return nil, nil, err
	}
	if _, err := rc.Write(c.reqs.get(held)); err != nil {
		rc.Close()
		return nil, nil, err
	}
	if rc.buf, err = readFrame(rc.r, rc.buf); err != nil {
		rc.Close()
		return nil, nil, err
	}
	return rc.buf, rc, nil
}

func (c *rawClient) Call(ctx context.Context) error     { return c.call(ctx, false) }
func (c *rawClient) CallHeld(ctx context.Context) error { return c.call(ctx, true) }

func (c *rawClient) call(ctx context.Context, held bool) error {
	resp, rc, err := c.roundTrip(ctx, held)
	if err != nil {
		return err
	}
	ok := bytes.Equal(resp, c.want)
	c.put(rc)
	if !ok {
		return errBadResponse
	}
	return nil
}

func (c *rawClient) Fetch(ctx context.Context) (*order.CreateOrderResponse, error) {
	resp, rc, err := c.roundTrip(ctx, false)
	if err != nil {
		return nil, err
	}
	defer c.put(rc)
	out := new(order.CreateOrderResponse)
	if _, err := out.FastRead(resp); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *rawClient) Close() error {
	c.closed.Store(true)
	var errs []error
	for {
		select {
		case rc := <-c.idle:
			errs = append(errs, rc.Close())
		default:
			return errors.Join(errs...)
		}
	}
}

// atomicCounter hands out round-robin indexes.
type atomicCounter struct{ n atomic.Uint64 }

func (c *atomicCounter) next(mod int) int {
	if mod == 1 {
		return 0
	}
	return int(c.n.Add(1) % uint64(mod))
}
