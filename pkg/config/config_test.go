package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Addr    string        `yaml:"addr" env:"TEST_CFG_ADDR"`
	Timeout time.Duration `yaml:"timeout" env:"TEST_CFG_TIMEOUT"`
}

type sample struct {
	Name  string   `yaml:"name"`
	Port  int      `yaml:"port" env:"TEST_CFG_PORT"`
	Ratio float64  `yaml:"ratio"`
	On    bool     `yaml:"on" env:"TEST_CFG_ON"`
	Peers []string `yaml:"peers" env:"TEST_CFG_PEERS"`
	Inner inner    `yaml:"inner"`
}

func (s *sample) Validate() error {
	if s.Port <= 0 {
		return errors.New("port: must be positive")
	}
	return nil
}

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFileThenEnvOverridesFile(t *testing.T) {
	p := write(t, "name: a\nport: 1\ninner:\n  addr: x:1\n  timeout: 2s\npeers: [p1]\n")
	t.Setenv("TEST_CFG_PORT", "9")
	t.Setenv("TEST_CFG_TIMEOUT", "150ms")
	t.Setenv("TEST_CFG_PEERS", "a:1, b:2")
	t.Setenv("TEST_CFG_ON", "true")
	cfg := sample{Ratio: 0.5}
	if err := Load(p, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "a" || cfg.Port != 9 || cfg.Inner.Addr != "x:1" || cfg.Inner.Timeout != 150*time.Millisecond ||
		!cfg.On || cfg.Ratio != 0.5 || strings.Join(cfg.Peers, "|") != "a:1|b:2" {
		t.Fatalf("unexpected config: %+v", cfg)
	}
}

func TestLoadRejects(t *testing.T) {
	cases := []struct {
		name, yaml, env, envVal, wantSubstr string
	}{
		{"unknown key is a typo, not a default", "prot: 1\n", "", "", "prot"},
		{"bad env value names the key", "port: 1\n", "TEST_CFG_PORT", "abc", "TEST_CFG_PORT (config key port)"},
		{"bad env duration names the nested key", "port: 1\n", "TEST_CFG_TIMEOUT", "soon", "inner.timeout"},
		{"validation runs after loading", "port: 0\n", "", "", "port: must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv(tc.env, tc.envVal)
			}
			var cfg sample
			err := Load(write(t, tc.yaml), &cfg)
			if err == nil || !strings.Contains(err.Error(), tc.wantSubstr) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.wantSubstr)
			}
		})
	}
}

func TestLoadEmptyPathUsesDefaultsAndEnv(t *testing.T) {
	t.Setenv("TEST_CFG_ADDR", "env:1")
	cfg := sample{Port: 3}
	if err := Load("", &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 3 || cfg.Inner.Addr != "env:1" {
		t.Fatalf("unexpected config: %+v", cfg)
	}
}

func TestLoadEmptyFileKeepsDefaults(t *testing.T) {
	cfg := sample{Port: 4}
	if err := Load(write(t, ""), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 4 {
		t.Fatalf("port = %d, want the default 4", cfg.Port)
	}
}
