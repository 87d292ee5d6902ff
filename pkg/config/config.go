// Package config loads one typed configuration struct from an optional YAML
// file, then applies environment overrides named by `env` struct tags, then
// validates it. Every service and the gateway load their config this way, so
// the same keys work in `make run`, Compose and Kubernetes.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Validator is implemented by config structs that check themselves after
// loading. The error should name the bad key.
type Validator interface {
	Validate() error
}

// Load fills dst (a pointer to a struct holding its defaults) from the YAML
// file at path (skipped when path is empty), then from the environment, then
// validates it. Unknown YAML keys are an error, so a typo never silently
// falls back to a default.
func Load(path string, dst any) error {
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("open config %s: %w", path, err)
		}
		defer f.Close()
		dec := yaml.NewDecoder(f)
		dec.KnownFields(true)
		// An empty file means "all defaults".
		if err := dec.Decode(dst); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("parse config %s: %w", path, err)
		}
	}
	if err := applyEnv(reflect.ValueOf(dst).Elem(), ""); err != nil {
		return err
	}
	if v, ok := dst.(Validator); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("invalid config: %w", err)
		}
	}
	return nil
}

// applyEnv walks the struct and sets each field tagged `env:"NAME"` from the
// environment variable NAME when it is set.
func applyEnv(v reflect.Value, path string) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		key := path + yamlName(f)
		if name := f.Tag.Get("env"); name != "" {
			if raw, ok := os.LookupEnv(name); ok {
				if err := setValue(fv, raw); err != nil {
					return fmt.Errorf("env %s (config key %s): %w", name, key, err)
				}
				continue
			}
		}
		if fv.Kind() == reflect.Struct && fv.Type() != reflect.TypeOf(time.Duration(0)) {
			if err := applyEnv(fv, key+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

func yamlName(f reflect.StructField) string {
	if tag := f.Tag.Get("yaml"); tag != "" {
		if name := strings.Split(tag, ",")[0]; name != "" && name != "-" {
			return name
		}
	}
	return strings.ToLower(f.Name)
}

func setValue(v reflect.Value, raw string) error {
	if v.Type() == reflect.TypeOf(time.Duration(0)) {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(raw)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, v.Type().Bits())
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		n, err := strconv.ParseFloat(raw, v.Type().Bits())
		if err != nil {
			return err
		}
		v.SetFloat(n)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported slice type %s", v.Type())
		}
		var parts []string
		for _, p := range strings.Split(raw, ",") {
			if p = strings.TrimSpace(p); p != "" {
				parts = append(parts, p)
			}
		}
		v.Set(reflect.ValueOf(parts))
	default:
		return fmt.Errorf("unsupported type %s", v.Type())
	}
	return nil
}
