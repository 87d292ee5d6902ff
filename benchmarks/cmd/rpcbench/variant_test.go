package main

import "testing"

func TestVariantsApplyProcs(t *testing.T) {
	procsOf, err := parseProcs(defaultProcs)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := variants("kitex-thrift,grpc,kitex-thrift@1", procsOf, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		label, name string
		procs       int
	}{
		{"kitex-thrift", "kitex-thrift", 2},
		{"grpc", "grpc", 1},
		{"kitex-thrift@1", "kitex-thrift", 1},
	}
	if len(vs) != len(want) {
		t.Fatalf("got %d variants, want %d", len(vs), len(want))
	}
	for i, w := range want {
		if vs[i].label != w.label || vs[i].Name() != w.name || vs[i].procs != w.procs {
			t.Errorf("variant %d = %s/%s/%d, want %s/%s/%d", i, vs[i].label, vs[i].Name(), vs[i].procs, w.label, w.name, w.procs)
		}
	}
	if vs, _ := variants("grpc", nil, false); vs[0].procs != 0 {
		t.Errorf("unpinned grpc got GOMAXPROCS %d, want Go's default (0)", vs[0].procs)
	}
}

func TestVariantsRejectBadInput(t *testing.T) {
	for _, list := range []string{"nope", "grpc@0", "grpc@x"} {
		if _, err := variants(list, nil, true); err == nil {
			t.Errorf("variants(%q) succeeded", list)
		}
	}
	for _, list := range []string{"grpc", "grpc=0", "nope=2"} {
		if _, err := parseProcs(list); err == nil {
			t.Errorf("parseProcs(%q) succeeded", list)
		}
	}
}
