package codec

import (
	apacheorder "github.com/kitemall/platform/benchmarks/gen/apache/order"
	apacheproduct "github.com/kitemall/platform/benchmarks/gen/apache/product"
	apachetrade "github.com/kitemall/platform/benchmarks/gen/apache/trade"
	"github.com/kitemall/platform/benchmarks/gen/kitex/trade"
	"github.com/kitemall/platform/benchmarks/gen/kitexpb"
	"github.com/kitemall/platform/benchmarks/gen/pbgo"
	"github.com/kitemall/platform/kitex_gen/order"
	"github.com/kitemall/platform/kitex_gen/product"
)

// TypeSet names one family of generated Go types for the same IDL.
type TypeSet int

const (
	// TypesKitexThrift is the platform's own kitex_gen code (FastCodec, Frugal).
	TypesKitexThrift TypeSet = iota
	// TypesApacheThrift is `thrift --gen go` output, used with apache/thrift.
	TypesApacheThrift
	// TypesProtobufGo is protoc-gen-go output, used with google.golang.org/protobuf.
	TypesProtobufGo
	// TypesKitexProtobuf is `kitex -type protobuf` output, backed by prutal.
	TypesKitexProtobuf
	numTypeSets
)

// Message is one benchmarked message: its canonical fixture and a
// constructor for an empty value in every type set.
type Message struct {
	Name    string
	Fixture func() any // a kitex_gen value (TypesKitexThrift), every field set
	newOf   [numTypeSets]func() any
}

// New returns an empty message of the given type set to decode into.
func (m Message) New(ts TypeSet) any { return m.newOf[ts]() }

// Messages returns the hot-path messages in the order the reports show them.
func Messages() []Message {
	return []Message{
		{
			Name:    "CreateOrderReq",
			Fixture: func() any { return CreateOrderRequest() },
			newOf: [...]func() any{
				func() any { return new(order.CreateOrderRequest) },
				func() any { return new(apacheorder.CreateOrderRequest) },
				func() any { return new(pbgo.CreateOrderRequest) },
				func() any { return new(kitexpb.CreateOrderRequest) },
			},
		},
		{
			Name:    "CreateOrderResp",
			Fixture: func() any { return CreateOrderResponse() },
			newOf: [...]func() any{
				func() any { return new(order.CreateOrderResponse) },
				func() any { return new(apacheorder.CreateOrderResponse) },
				func() any { return new(pbgo.CreateOrderResponse) },
				func() any { return new(kitexpb.CreateOrderResponse) },
			},
		},
		{
			Name:    "GetProductReq",
			Fixture: func() any { return GetProductRequest() },
			newOf: [...]func() any{
				func() any { return new(product.GetProductRequest) },
				func() any { return new(apacheproduct.GetProductRequest) },
				func() any { return new(pbgo.GetProductRequest) },
				func() any { return new(kitexpb.GetProductRequest) },
			},
		},
		{
			Name:    "GetProductResp",
			Fixture: func() any { return GetProductResponse() },
			newOf: [...]func() any{
				func() any { return new(product.GetProductResponse) },
				func() any { return new(apacheproduct.GetProductResponse) },
				func() any { return new(pbgo.GetProductResponse) },
				func() any { return new(kitexpb.GetProductResponse) },
			},
		},
		{
			Name:    "ListProductsReq",
			Fixture: func() any { return ListProductsRequest() },
			newOf: [...]func() any{
				func() any { return new(product.ListProductsRequest) },
				func() any { return new(apacheproduct.ListProductsRequest) },
				func() any { return new(pbgo.ListProductsRequest) },
				func() any { return new(kitexpb.ListProductsRequest) },
			},
		},
		{
			Name:    "ListProductsResp",
			Fixture: func() any { return ListProductsResponse() },
			newOf: [...]func() any{
				func() any { return new(product.ListProductsResponse) },
				func() any { return new(apacheproduct.ListProductsResponse) },
				func() any { return new(pbgo.ListProductsResponse) },
				func() any { return new(kitexpb.ListProductsResponse) },
			},
		},
		{
			Name:    "TradeReport",
			Fixture: func() any { return TradeReport() },
			newOf: [...]func() any{
				func() any { return new(trade.TradeReport) },
				func() any { return new(apachetrade.TradeReport) },
				func() any { return new(pbgo.TradeReport) },
				func() any { return new(kitexpb.TradeReport) },
			},
		},
	}
}

// Native returns m's fixture converted into the given type set.
func (m Message) Native(ts TypeSet) any {
	dst := m.New(ts)
	if err := Convert(dst, m.Fixture()); err != nil {
		// The type sets are generated from the same IDL; a mismatch is a
		// broken checkout, not a runtime condition.
		panic(err)
	}
	return dst
}
