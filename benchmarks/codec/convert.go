package codec

import (
	"fmt"
	"reflect"
	"strings"
)

// Convert copies src into dst, both pointers to structs generated from the
// same schema by different generators. Fields are matched by name, ignoring
// case and underscores (Kitex says ProductId, Apache ProductID, protoc-gen-go
// ProductId); enums convert by number. Reflection keeps one converter for
// four type sets; it never runs inside a timed loop.
//
// Every exported field of dst must have a counterpart in src, so a field
// added to one IDL but not its mirror is an error, not a silent zero.
func Convert(dst, src any) error {
	return convertValue(reflect.ValueOf(dst), reflect.ValueOf(src), reflect.TypeOf(src).String())
}

func convertValue(dst, src reflect.Value, path string) error {
	switch dst.Kind() {
	case reflect.Pointer:
		if src.Kind() != reflect.Pointer {
			return fmt.Errorf("%s: pointer from %s", path, src.Kind())
		}
		if src.IsNil() {
			dst.Set(reflect.Zero(dst.Type()))
			return nil
		}
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		return convertValue(dst.Elem(), src.Elem(), path)
	case reflect.Struct:
		return convertStruct(dst, src, path)
	case reflect.Slice:
		if src.Kind() != reflect.Slice {
			return fmt.Errorf("%s: slice from %s", path, src.Kind())
		}
		if src.IsNil() {
			dst.Set(reflect.Zero(dst.Type()))
			return nil
		}
		dst.Set(reflect.MakeSlice(dst.Type(), src.Len(), src.Len()))
		for i := range src.Len() {
			if err := convertValue(dst.Index(i), src.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Int32, reflect.Int64:
		switch src.Kind() {
		case reflect.Int32, reflect.Int64:
			dst.SetInt(src.Int())
			return nil
		}
	case reflect.String, reflect.Bool, reflect.Float64:
		if src.Kind() == dst.Kind() {
			dst.Set(src.Convert(dst.Type()))
			return nil
		}
	}
	return fmt.Errorf("%s: cannot convert %s to %s", path, src.Type(), dst.Type())
}

func convertStruct(dst, src reflect.Value, path string) error {
	if src.Kind() != reflect.Struct {
		return fmt.Errorf("%s: struct from %s", path, src.Kind())
	}
	srcFields := make(map[string]int, src.NumField())
	for i := range src.NumField() {
		if f := src.Type().Field(i); f.IsExported() {
			srcFields[fieldKey(f.Name)] = i
		}
	}
	for i := range dst.NumField() {
		f := dst.Type().Field(i)
		if !f.IsExported() {
			continue // protobuf-go's internal state
		}
		j, ok := srcFields[fieldKey(f.Name)]
		if !ok {
			return fmt.Errorf("%s: %s has no field matching %s", path, src.Type(), f.Name)
		}
		if err := convertValue(dst.Field(i), src.Field(j), path+"."+f.Name); err != nil {
			return err
		}
	}
	return nil
}

func fieldKey(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "_", ""))
}
