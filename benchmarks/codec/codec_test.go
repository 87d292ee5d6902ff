package codec

import (
	"bytes"
	"reflect"
	"testing"
)

// TestRoundTrip proves that every codec carries every message without loss:
// fixture -> codec's types -> wire -> fresh value -> back to the fixture's
// types must equal the fixture.
func TestRoundTrip(t *testing.T) {
	for _, m := range Messages() {
		for _, c := range All() {
			t.Run(m.Name+"/"+c.Name(), func(t *testing.T) {
				wire, err := c.Encode(nil, m.Native(c.TypeSet()))
				if err != nil {
					t.Fatalf("encode: %v", err)
				}
				decoded := m.New(c.TypeSet())
				if err := c.Decode(wire, decoded); err != nil {
					t.Fatalf("decode: %v", err)
				}
				back := canonical(t, m, decoded)
				if want := m.Fixture(); !reflect.DeepEqual(back, want) {
					t.Errorf("round trip changed the message\n got: %+v\nwant: %+v", back, want)
				}
			})
		}
	}
}

// canonical converts a decoded value back into the fixture's types, where
// reflect.DeepEqual is meaningful (protobuf-go values carry internal state).
func canonical(t *testing.T, m Message, v any) any {
	t.Helper()
	back := m.New(TypesKitexThrift)
	if err := Convert(back, v); err != nil {
		t.Fatalf("convert back: %v", err)
	}
	return back
}

// TestEncodeReusesBuffer proves that encoding into a dirty, reused buffer
// (as the benchmarks do) yields the same bytes as encoding into nil.
func TestEncodeReusesBuffer(t *testing.T) {
	for _, m := range Messages() {
		for _, c := range All() {
			msg := m.Native(c.TypeSet())
			fresh, err := c.Encode(nil, msg)
			if err != nil {
				t.Fatalf("%s/%s: %v", m.Name, c.Name(), err)
			}
			dirty := bytes.Repeat([]byte{0xff}, 4096)
			reused, err := c.Encode(dirty, msg)
			if err != nil {
				t.Fatalf("%s/%s: %v", m.Name, c.Name(), err)
			}
			if !bytes.Equal(fresh, reused) {
				t.Errorf("%s/%s: reused buffer changed the encoding", m.Name, c.Name())
			}
		}
	}
}

// TestSameWireFormat proves the implementations of one wire format agree:
// FastCodec, Frugal and Apache's TBinaryProtocol all write Thrift binary,
// protobuf-go and prutal both write protobuf. Within a format the sizes must
// match and each implementation must decode the others' bytes to the
// fixture. (Bytes may differ: Kitex writes fixed-width fields before strings
// and structs, Apache in field-ID order; both are valid Thrift.) So the
// codec table compares implementations of the same payload.
func TestSameWireFormat(t *testing.T) {
	groups := [][]Codec{
		{FastCodec{}, Frugal{}, NewApacheBinary()},
		{ProtobufGo{}, KitexProtobuf{}},
	}
	for _, m := range Messages() {
		for _, g := range groups {
			for _, enc := range g {
				wire, err := enc.Encode(nil, m.Native(enc.TypeSet()))
				if err != nil {
					t.Fatal(err)
				}
				for _, dec := range g {
					decoded := m.New(dec.TypeSet())
					if err := dec.Decode(wire, decoded); err != nil {
						t.Fatalf("%s: %s decoding %s bytes: %v", m.Name, dec.Name(), enc.Name(), err)
					}
					if !reflect.DeepEqual(canonical(t, m, decoded), m.Fixture()) {
						t.Errorf("%s: %s decoded %s bytes to a different value", m.Name, dec.Name(), enc.Name())
					}
					own, err := dec.Encode(nil, decoded)
					if err != nil {
						t.Fatal(err)
					}
					if len(own) != len(wire) {
						t.Errorf("%s: %s writes %d bytes, %s %d", m.Name, dec.Name(), len(own), enc.Name(), len(wire))
					}
				}
			}
		}
	}
}

// TestFixturesSetEveryField guards the round-trip tests: a field left at
// its zero value would pass them even if a codec or Convert dropped it.
func TestFixturesSetEveryField(t *testing.T) {
	for _, m := range Messages() {
		for _, path := range zeroFields(reflect.ValueOf(m.Fixture()), m.Name) {
			t.Errorf("fixture field %s is zero", path)
		}
	}
}

func zeroFields(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return []string{path}
		}
		return zeroFields(v.Elem(), path)
	case reflect.Struct:
		var zero []string
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				zero = append(zero, zeroFields(v.Field(i), path+"."+f.Name)...)
			}
		}
		return zero
	case reflect.Slice:
		if v.Len() == 0 {
			return []string{path}
		}
		var zero []string
		for i := range v.Len() {
			zero = append(zero, zeroFields(v.Index(i), path)...)
		}
		return zero
	default:
		if v.IsZero() {
			return []string{path}
		}
		return nil
	}
}

// TestConvertRejectsMismatchedTypes proves that a schema drift between
// mirrors is reported instead of converted to zero values.
func TestConvertRejectsMismatchedTypes(t *testing.T) {
	m := Messages()
	err := Convert(m[0].New(TypesProtobufGo), m[len(m)-1].Fixture())
	if err == nil {
		t.Fatal("converting a TradeReport into a CreateOrderRequest succeeded")
	}
}

// TestPairRunsBothSides proves a paired measurement accumulates time on
// both sides for encoding and decoding (it asserts no timing).
func TestPairRunsBothSides(t *testing.T) {
	m := Messages()[0]
	p, err := NewPair(m, FastCodec{}, NewApacheBinary())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := p.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if p.aEnc <= 0 || p.aDec <= 0 || p.bEnc <= 0 || p.bDec <= 0 {
		t.Errorf("a side was not timed: %+v", p)
	}
	if enc, dec, both := p.Speedup(); enc <= 0 || dec <= 0 || both <= 0 {
		t.Errorf("Speedup() = %v, %v, %v", enc, dec, both)
	}
}
