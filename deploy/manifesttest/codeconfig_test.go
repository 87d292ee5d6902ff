package manifesttest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The config a process reads is known from its code, not from a list kept
// here: the YAML keys and `env` tags of its config struct (walked through
// the source, since the gateway's config package is internal), plus the
// variables its main reads with os.Getenv.

const modulePrefix = "github.com/kitemall/platform/"

// processConfig is what one process accepts.
type processConfig struct {
	// Keys are the YAML key paths ("clients.product.retry.max_retries"),
	// leaves and the structs on the way.
	Keys map[string]bool
	// Env are the variables that override a key.
	Env map[string]bool
	// Getenv are the variables the process reads directly.
	Getenv map[string]bool
}

// codeProcess names where a process's config type and main live.
type codeProcess struct {
	configDir string // package of the Config type, relative to the repo root
	typeName  string
	mainDirs  []string // packages whose os.Getenv calls count
}

var codeProcesses = map[string]codeProcess{
	"user":    {"rpc/user/app", "Config", []string{"pkg/bootstrap"}},
	"product": {"rpc/product/app", "Config", []string{"pkg/bootstrap"}},
	"order":   {"rpc/order/app", "Config", []string{"pkg/bootstrap"}},
	"payment": {"rpc/payment/app", "Config", []string{"pkg/bootstrap"}},
	"gateway": {"gateway/internal/config", "Config", []string{"pkg/bootstrap"}},
	// The seed command reads the gateway's config and ADMIN_PASSWORD.
	"seed": {"gateway/internal/config", "Config", []string{"gateway/cmd/seed"}},
}

// runtimeEnv are read by the Go runtime of every process.
var runtimeEnv = map[string]bool{"GOMEMLIMIT": true, "GOMAXPROCS": true, "GOGC": true, "GODEBUG": true}

var (
	configCacheMu sync.Mutex
	configCache   = map[string]processConfig{}
)

// configOf returns what process name accepts, walking its source once.
func configOf(t *testing.T, name string) processConfig {
	t.Helper()
	configCacheMu.Lock()
	defer configCacheMu.Unlock()
	if pc, ok := configCache[name]; ok {
		return pc
	}
	cp, ok := codeProcesses[name]
	if !ok {
		t.Fatalf("no code process %q", name)
	}
	w := &structWalker{t: t, files: map[string][]*ast.File{}}
	pc := processConfig{Keys: map[string]bool{}, Env: map[string]bool{}, Getenv: map[string]bool{}}
	w.walk(cp.configDir, cp.typeName, "", pc, 0)
	for _, dir := range cp.mainDirs {
		for _, f := range w.parse(dir) {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Getenv" && sel.Sel.Name != "LookupEnv") {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "os" {
					return true
				}
				if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					pc.Getenv[v] = true
				}
				return true
			})
		}
	}
	if len(pc.Keys) == 0 || len(pc.Env) == 0 {
		t.Fatalf("walking %s.%s found no config keys or env tags", cp.configDir, cp.typeName)
	}
	configCache[name] = pc
	return pc
}

// reads reports whether the process reads variable env.
func (pc processConfig) reads(env string) bool {
	return pc.Env[env] || pc.Getenv[env] || runtimeEnv[env]
}

type structWalker struct {
	t     *testing.T
	files map[string][]*ast.File
}

// parse returns the non-test files of the package in dir (repo-relative).
func (w *structWalker) parse(dir string) []*ast.File {
	if fs, ok := w.files[dir]; ok {
		return fs
	}
	abs := filepath.Join(repoRoot(w.t), dir)
	entries, err := os.ReadDir(abs)
	if err != nil {
		w.t.Fatalf("read package %s: %v", dir, err)
	}
	fset := token.NewFileSet()
	var fs []*ast.File
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(abs, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			w.t.Fatalf("parse %s/%s: %v", dir, e.Name(), err)
		}
		fs = append(fs, f)
	}
	w.files[dir] = fs
	return fs
}

// lookup finds type name in package dir and the file that declares it.
func (w *structWalker) lookup(dir, name string) (ast.Expr, *ast.File) {
	for _, f := range w.parse(dir) {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				if ts := s.(*ast.TypeSpec); ts.Name.Name == name {
					return ts.Type, f
				}
			}
		}
	}
	w.t.Fatalf("type %s not found in %s", name, dir)
	return nil, nil
}

// walk records the keys and env tags of struct type name in dir under
// prefix, following the types of struct-typed fields into other packages of
// this repository the way pkg/config does (it recurses into every struct).
func (w *structWalker) walk(dir, name, prefix string, pc processConfig, depth int) {
	if depth > 10 {
		w.t.Fatalf("config types nest deeper than 10 at %s", prefix)
	}
	typ, file := w.lookup(dir, name)
	st, ok := typ.(*ast.StructType)
	if !ok {
		return
	}
	for _, f := range st.Fields.List {
		var tag reflect.StructTag
		if f.Tag != nil {
			v, _ := strconv.Unquote(f.Tag.Value)
			tag = reflect.StructTag(v)
		}
		for _, n := range f.Names {
			if !n.IsExported() {
				continue
			}
			key := strings.ToLower(n.Name)
			if y := strings.Split(tag.Get("yaml"), ",")[0]; y != "" {
				if y == "-" {
					continue
				}
				key = y
			}
			path := prefix + key
			pc.Keys[path] = true
			if env := tag.Get("env"); env != "" {
				pc.Env[env] = true
			}
			if tdir, tname, ok := w.resolve(dir, file, f.Type); ok {
				w.walk(tdir, tname, path+".", pc, depth+1)
			}
		}
	}
}

// resolve maps a field type to a named struct type of this repository.
func (w *structWalker) resolve(dir string, file *ast.File, expr ast.Expr) (string, string, bool) {
	switch e := expr.(type) {
	case *ast.Ident:
		if !isBuiltin(e.Name) {
			typ, _ := w.lookup(dir, e.Name)
			_, isStruct := typ.(*ast.StructType)
			return dir, e.Name, isStruct
		}
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		if !ok {
			return "", "", false
		}
		for _, imp := range file.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			local := filepath.Base(path)
			if imp.Name != nil {
				local = imp.Name.Name
			}
			if local != x.Name || !strings.HasPrefix(path, modulePrefix) {
				continue
			}
			tdir := strings.TrimPrefix(path, modulePrefix)
			typ, _ := w.lookup(tdir, e.Sel.Name)
			_, isStruct := typ.(*ast.StructType)
			return tdir, e.Sel.Name, isStruct
		}
	}
	return "", "", false
}

func isBuiltin(name string) bool {
	switch name {
	case "string", "bool", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16",
		"uint32", "uint64", "float32", "float64", "byte", "rune", "any":
		return true
	}
	return false
}

// unknownKeys returns the key paths of a decoded YAML document that the
// process does not accept.
func (pc processConfig) unknownKeys(doc map[string]any) []string {
	var bad []string
	var visit func(prefix string, m map[string]any)
	visit = func(prefix string, m map[string]any) {
		for k, v := range m {
			path := prefix + k
			if !pc.Keys[path] {
				bad = append(bad, path)
				continue
			}
			if sub, ok := v.(map[string]any); ok {
				visit(path+".", sub)
			}
		}
	}
	visit("", doc)
	return bad
}

func TestConfigWalkFindsTheKeysOfTheCode(t *testing.T) {
	cases := []struct {
		process string
		keys    []string
		env     []string
		getenv  []string
		notEnv  []string
	}{
		{"user", []string{"server.listen", "mysql.addr", "redis.key_prefix", "cache_ttl", "observability.metrics_listen", "registry.endpoints"},
			[]string{"LISTEN_ADDR", "MYSQL_PASSWORD", "REDIS_ADDR", "KITEX_TRANSPORT", "METRICS_ADDR", "ETCD_ENDPOINTS"}, []string{"CONFIG_FILE"}, []string{"IDGEN_NODE", "JWT_SECRET"}},
		{"order", []string{"idgen.node", "clients.product.retry.max_retries", "clients.product.breaker.err_rate", "idempotency_lock.ttl"},
			[]string{"IDGEN_NODE", "KITEX_TRANSPORT"}, []string{"CONFIG_FILE"}, []string{"JWT_SECRET"}},
		{"payment", []string{"clients.order.idempotent_methods", "sandbox.decline_rate", "settle_timeout"},
			[]string{"MYSQL_DATABASE"}, nil, []string{"REDIS_ADDR", "IDGEN_NODE"}},
		{"gateway", []string{"http.listen", "http.trusted_proxies", "auth.secret", "rate_limit.per_ip.rps", "clients.payment.rpc_timeout", "transport"},
			[]string{"JWT_SECRET", "LISTEN_ADDR", "ETCD_ENDPOINTS", "KITEX_TRANSPORT", "OTEL_EXPORTER_OTLP_ENDPOINT"}, []string{"CONFIG_FILE"}, []string{"MYSQL_ADDR", "IDGEN_NODE"}},
		{"seed", nil, []string{"JWT_SECRET"}, []string{"ADMIN_PASSWORD", "CONFIG_FILE"}, nil},
	}
	for _, c := range cases {
		t.Run(c.process, func(t *testing.T) {
			pc := configOf(t, c.process)
			for _, k := range c.keys {
				if !pc.Keys[k] {
					t.Errorf("key %s not found", k)
				}
			}
			for _, e := range c.env {
				if !pc.Env[e] {
					t.Errorf("env %s not found", e)
				}
			}
			for _, e := range c.getenv {
				if !pc.Getenv[e] {
					t.Errorf("os.Getenv(%q) not found", e)
				}
			}
			for _, e := range c.notEnv {
				if pc.reads(e) {
					t.Errorf("%s is not read by %s, but the walk says it is", e, c.process)
				}
			}
		})
	}
}
