package codec

import (
	"context"
	"fmt"
	"slices"

	apache "github.com/apache/thrift/lib/go/thrift"
	"github.com/cloudwego/frugal"
	"github.com/cloudwego/gopkg/protocol/thrift"
	"google.golang.org/protobuf/proto"
)

// Codec encodes and decodes the messages of one type set. Implementations
// keep scratch state, so a Codec is not safe for concurrent use.
type Codec interface {
	Name() string
	TypeSet() TypeSet
	// Encode appends msg's wire form to dst[:0] and returns the result. The
	// caller reuses dst across calls, as an RPC framework reuses its pooled
	// write buffers, so allocations reported are the codec's own.
	Encode(dst []byte, msg any) ([]byte, error)
	// Decode fills msg, an empty value from Message.New, from data.
	Decode(data []byte, msg any) error
}

// All returns one fresh instance of every codec, in report order.
func All() []Codec {
	return []Codec{
		FastCodec{},
		Frugal{},
		NewApacheBinary(),
		NewApacheCompact(),
		ProtobufGo{},
		KitexProtobuf{},
	}
}

// FastCodec is the code Kitex generates for Thrift (BLength, FastWrite,
// FastRead): what a Kitex Thrift server and client run by default.
type FastCodec struct{}

func (FastCodec) Name() string     { return "kitex-fastcodec" }
func (FastCodec) TypeSet() TypeSet { return TypesKitexThrift }

func (FastCodec) Encode(dst []byte, msg any) ([]byte, error) {
	m := msg.(thrift.FastCodec)
	n := m.BLength()
	dst = slices.Grow(dst[:0], n)[:n]
	if w := m.FastWriteNocopy(dst, nil); w != n {
		return nil, fmt.Errorf("fastcodec wrote %d bytes, BLength said %d", w, n)
	}
	return dst, nil
}

func (FastCodec) Decode(data []byte, msg any) error {
	_, err := msg.(thrift.FastCodec).FastRead(data)
	return err
}

// Frugal is CloudWeGo's reflection-driven Thrift codec, reading the frugal
// tags on the same generated structs (Kitex's FrugalReadWrite mode).
type Frugal struct{}

func (Frugal) Name() string     { return "frugal" }
func (Frugal) TypeSet() TypeSet { return TypesKitexThrift }

func (Frugal) Encode(dst []byte, msg any) ([]byte, error) {
	n := frugal.EncodedSize(msg)
	dst = slices.Grow(dst[:0], n)[:n]
	w, err := frugal.EncodeObject(dst, nil, msg)
	if err != nil {
		return nil, err
	}
	return dst[:w], nil
}

func (Frugal) Decode(data []byte, msg any) error {
	_, err := frugal.DecodeObject(data, msg)
	return err
}

// Apache is github.com/apache/thrift with code from the Apache compiler,
// over an in-memory transport: what TSerializer and TDeserializer do, with
// the buffers kept between calls.
type Apache struct {
	name    string
	ctx     context.Context
	out, in *apache.TMemoryBuffer
	wp, rp  apache.TProtocol
}

// NewApacheBinary returns Apache Thrift's TBinaryProtocol codec.
func NewApacheBinary() *Apache {
	return newApache("apache-binary", func(t apache.TTransport) apache.TProtocol {
		return apache.NewTBinaryProtocolConf(t, nil)
	})
}

// NewApacheCompact returns Apache Thrift's TCompactProtocol codec.
func NewApacheCompact() *Apache {
	return newApache("apache-compact", func(t apache.TTransport) apache.TProtocol {
		return apache.NewTCompactProtocolConf(t, nil)
	})
}

func newApache(name string, protocol func(apache.TTransport) apache.TProtocol) *Apache {
	a := &Apache{
		name: name,
		ctx:  context.Background(),
		out:  apache.NewTMemoryBufferLen(1024),
		in:   apache.NewTMemoryBufferLen(1024),
	}
	a.wp, a.rp = protocol(a.out), protocol(a.in)
	return a
}

func (a *Apache) Name() string     { return a.name }
func (a *Apache) TypeSet() TypeSet { return TypesApacheThrift }

func (a *Apache) Encode(dst []byte, msg any) ([]byte, error) {
	a.out.Reset()
	if err := msg.(apache.TStruct).Write(a.ctx, a.wp); err != nil {
		return nil, err
	}
	if err := a.wp.Flush(a.ctx); err != nil {
		return nil, err
	}
	return append(dst[:0], a.out.Bytes()...), nil
}

func (a *Apache) Decode(data []byte, msg any) error {
	a.in.Reset()
	if _, err := a.in.Write(data); err != nil {
		return err
	}
	return msg.(apache.TStruct).Read(a.ctx, a.rp)
}

// ProtobufGo is google.golang.org/protobuf with protoc-gen-go code: what
// gRPC-go runs.
type ProtobufGo struct{}

func (ProtobufGo) Name() string     { return "protobuf-go" }
func (ProtobufGo) TypeSet() TypeSet { return TypesProtobufGo }

func (ProtobufGo) Encode(dst []byte, msg any) ([]byte, error) {
	return proto.MarshalOptions{}.MarshalAppend(dst[:0], msg.(proto.Message))
}

func (ProtobufGo) Decode(data []byte, msg any) error {
	return proto.Unmarshal(data, msg.(proto.Message))
}

// KitexProtobuf is the code `kitex -type protobuf` generates today: plain
// structs whose Marshal and Unmarshal methods call prutal.
type KitexProtobuf struct{}

type prutalMessage interface {
	Marshal(in []byte) ([]byte, error)
	Unmarshal(in []byte) error
}

func (KitexProtobuf) Name() string     { return "kitex-protobuf" }
func (KitexProtobuf) TypeSet() TypeSet { return TypesKitexProtobuf }

func (KitexProtobuf) Encode(dst []byte, msg any) ([]byte, error) {
	return msg.(prutalMessage).Marshal(dst[:0])
}

func (KitexProtobuf) Decode(data []byte, msg any) error {
	return msg.(prutalMessage).Unmarshal(data)
}
