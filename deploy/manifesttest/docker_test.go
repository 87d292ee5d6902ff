package manifesttest

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// imageUID is the distroless nonroot user the images run as.
const imageUID = 65532

// instruction is one Dockerfile instruction with continuations joined.
type instruction struct {
	Cmd  string // upper case: FROM, RUN, ...
	Args string
}

func parseDockerfile(t *testing.T, rel string) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	for _, line := range strings.Split(string(readFile(t, rel)), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cont, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(cont + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.Join(strings.Fields(args), " ")})
		cur.Reset()
	}
	return out
}

// finalStage returns the instructions after the last FROM.
func finalStage(ins []instruction) []instruction {
	last := 0
	for i, in := range ins {
		if in.Cmd == "FROM" {
			last = i
		}
	}
	return ins[last:]
}

func TestDockerfilesBuildWhatMakeBuildBuilds(t *testing.T) {
	makefile := string(readFile(t, "Makefile"))
	// make build: `cd rpc && for s in $(SERVICES); do $(GO) build -o $(BIN)/$$s ./$$s; done`
	// and `cd gateway && $(GO) build -o $(BIN)/gateway . && $(GO) build -o $(BIN)/seed ./cmd/seed`.
	if !regexp.MustCompile(`(?m)^SERVICES := user product order payment$`).MatchString(makefile) ||
		!strings.Contains(makefile, "cd rpc && for s in $(SERVICES); do $(GO) build -o $(BIN)/$$s ./$$s; done") ||
		!strings.Contains(makefile, "cd gateway && $(GO) build -o $(BIN)/gateway . && $(GO) build -o $(BIN)/seed ./cmd/seed") {
		t.Fatal("make build no longer builds ./<svc> in rpc and the gateway and seed in gateway: update the Dockerfiles with it")
	}
	builds := map[string][]string{
		"user":    {"cd rpc && go build -trimpath -o /out/user ./user"},
		"product": {"cd rpc && go build -trimpath -o /out/product ./product"},
		"order":   {"cd rpc && go build -trimpath -o /out/order ./order"},
		"payment": {"cd rpc && go build -trimpath -o /out/payment ./payment"},
		"gateway": {"cd gateway && go build -trimpath -o /out/gateway . && go build -trimpath -o /out/seed ./cmd/seed"},
	}
	for _, p := range processes {
		t.Run(p, func(t *testing.T) {
			rel := "deploy/docker/" + p + ".Dockerfile"
			ins := parseDockerfile(t, rel)
			var runs []string
			var froms int
			for _, in := range ins {
				switch in.Cmd {
				case "RUN":
					runs = append(runs, in.Args)
				case "FROM":
					froms++
				}
			}
			if froms < 2 {
				t.Errorf("%s is not multi-stage", rel)
			}
			for _, want := range builds[p] {
				if !slices.ContainsFunc(runs, func(r string) bool { return strings.HasSuffix(r, want) }) {
					t.Errorf("%s does not run %q", rel, want)
				}
			}
			// Workspace mode (the whole repository, go.work included) links
			// the module versions make build links; CGO off makes it static.
			if !slices.Contains(ins, instruction{"COPY", ". ."}) || !slices.Contains(ins, instruction{"ENV", "CGO_ENABLED=0"}) {
				t.Errorf("%s must COPY the whole workspace and build with CGO_ENABLED=0", rel)
			}
			checkRuntimeStage(t, rel, finalStage(ins), p)
			ignore := string(readFile(t, rel+".dockerignore"))
			for _, needed := range []string{"go.work", "go.mod", "kitex_gen", "pkg", "rpc", "gateway", "deploy/docker"} {
				if regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(needed) + `/?$`).MatchString(ignore) {
					t.Errorf("%s.dockerignore excludes %s, which the build needs", rel, needed)
				}
			}
		})
	}
}

func checkRuntimeStage(t *testing.T, rel string, stage []instruction, p string) {
	ports := portsOf(t, p)
	if !strings.HasPrefix(stage[0].Args, "gcr.io/distroless/static") || !strings.HasSuffix(stage[0].Args, ":nonroot") {
		t.Errorf("%s runs on %q, want a distroless static nonroot base", rel, stage[0].Args)
	}
	want := map[string]string{
		"USER":       strconv.Itoa(imageUID) + ":" + strconv.Itoa(imageUID),
		"ENTRYPOINT": `["/usr/local/bin/` + p + `"]`,
	}
	if p == "gateway" {
		want["ENV"] = "LISTEN_ADDR=:" + strconv.Itoa(ports.RPC)
		want["EXPOSE"] = strconv.Itoa(ports.RPC)
		want["HEALTHCHECK"] = `CMD ["/usr/local/bin/probe", "http", "/healthz"]`
	} else {
		want["ENV"] = "LISTEN_ADDR=:" + strconv.Itoa(ports.RPC) + " METRICS_ADDR=:" + strconv.Itoa(ports.Metrics)
		want["EXPOSE"] = strconv.Itoa(ports.RPC) + " " + strconv.Itoa(ports.Metrics)
		want["HEALTHCHECK"] = `CMD ["/usr/local/bin/probe", "tcp"]`
	}
	got := map[string]string{}
	for _, in := range stage[1:] {
		switch in.Cmd {
		case "COPY":
			// Only binaries from the build stage: no config file (the
			// gateway's would carry the local JWT secret), no sources.
			if !strings.HasPrefix(in.Args, "--from=build /out/") {
				t.Errorf("%s copies %q into the runtime image", rel, in.Args)
			}
		case "HEALTHCHECK":
			_, cmd, _ := strings.Cut(in.Args, " CMD ")
			got[in.Cmd] = "CMD " + cmd
		default:
			got[in.Cmd] = in.Args
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s %q, want %q", rel, k, got[k], v)
		}
	}
}
