package modeleval

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/models"
)

// Runtime is a waymark runtime serve process on a loopback port, on the
// event clock, without tokens, with its data in a temporary directory.
type Runtime struct {
	Bin    string // the waymark binary
	Addr   string // http://127.0.0.1:PORT
	Client *client.Client
	dir    string
	cmd    *exec.Cmd
	done   chan struct{}
	mu     sync.Mutex
	log    strings.Builder
}

var servingRe = regexp.MustCompile(`msg="runtime serving" address=(\S+)`)

// BuildWaymark builds the waymark command into dir and returns its path.
func BuildWaymark(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "waymark")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/waymarkhq/waymark/cmd/waymark")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building waymark: %w\n%s", err, out)
	}
	return bin, nil
}

// StartRuntime starts bin runtime serve -insecure-dev -clock=event on a
// free loopback port, its data in a new directory under tmp.
func StartRuntime(ctx context.Context, bin, tmp string) (*Runtime, error) {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(tmp, "runtime")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "runtime", "serve", "-insecure-dev", "-clock=event", "-data", filepath.Join(dir, "data"), "-listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "WAYMARK_LOG=info")
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("starting %s runtime serve: %w", bin, err)
	}
	w.Close()
	rt := &Runtime{Bin: bin, dir: dir, cmd: cmd, done: make(chan struct{})}
	addrc := make(chan string, 1)
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			rt.mu.Lock()
			if rt.log.Len() < 1<<20 {
				rt.log.WriteString(sc.Text() + "\n")
			}
			rt.mu.Unlock()
			if m := servingRe.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addrc <- m[1]:
				default:
				}
			}
		}
		r.Close()
	}()
	go func() { <-read; cmd.Wait(); close(rt.done) }()
	select {
	case addr := <-addrc:
		if !strings.Contains(addr, "://") {
			addr = "http://" + addr
		}
		rt.Addr, rt.Client = addr, client.New(addr, "", nil)
		return rt, nil
	case <-rt.done:
		return nil, fmt.Errorf("runtime serve exited:\n%s", rt.Log())
	case <-ctx.Done():
		rt.Stop()
		return nil, ctx.Err()
	case <-time.After(60 * time.Second):
		rt.Stop()
		return nil, fmt.Errorf("runtime serve did not start within 60s:\n%s", rt.Log())
	}
}

// Log is what the process printed.
func (rt *Runtime) Log() string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.log.String()
}

// Stop ends the process with SIGTERM (SIGKILL after 30s) and removes its
// data.
func (rt *Runtime) Stop() error {
	var err error
	select {
	case <-rt.done:
	default:
		rt.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-rt.done:
		case <-time.After(30 * time.Second):
			rt.cmd.Process.Kill()
			<-rt.done
			err = errors.New("runtime serve did not stop on SIGTERM")
		}
	}
	os.RemoveAll(rt.dir)
	return err
}

// Apply writes files (name to HCL) into a new configuration directory and
// deploys it with waymark apply -auto-approve, as a person would.
func (rt *Runtime) Apply(ctx context.Context, files map[string]string) error {
	dir, err := os.MkdirTemp(rt.dir, "config")
	if err != nil {
		return err
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, rt.Bin, "apply", "-auto-approve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WAYMARK_ADDR="+rt.Addr)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("waymark apply: %w\n%s", err, out)
	}
	return nil
}

// Stack is the stack the evaluation deploys; the generated data's stages
// are its journeys'.
const Stack = "growth"

// The evaluation's actions: both in journey offers, which every customer
// enters, on the web channel; the second has a model without predictors.
const (
	ActionModel    = "offer"
	ActionBaseline = "offer_baseline"
)

// ModelKey is the key of an action's model in the evaluation's runtime.
func ModelKey(action string) string {
	return Stack + "/journey.offers.action." + action + "@web"
}

// schema is what the rows' features declare: customer attributes with
// their types, journeys with their stages (in order of first sight), and
// context keys.
type schema struct {
	attrs    map[string]bool // name: numeric
	journeys map[string][]string
	context  map[string]bool
	names    map[string]string // a feature's name to its identifier in the configuration
}

var identRe = regexp.MustCompile(`[^a-z0-9_]+`)

// ident makes a configuration identifier of a name.
func ident(s string) string {
	s = strings.Trim(identRe.ReplaceAllString(strings.ToLower(s), "_"), "_")
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		s = "x_" + s
	}
	return s
}

func schemaOf(rows []Row) (*schema, error) {
	s := &schema{attrs: map[string]bool{}, journeys: map[string][]string{}, context: map[string]bool{}, names: map[string]string{}}
	seenSym := map[string]bool{}
	stageSeen := map[string]map[string]bool{}
	used := map[string]string{}
	for _, r := range rows {
		for _, f := range r.X {
			kind, name, ok := strings.Cut(f.Name, ".")
			if !ok {
				return nil, fmt.Errorf("the predictor %q is not customer.<name>, stage.<stack>/<journey> or context.<key>", f.Name)
			}
			switch kind {
			case "customer":
				id, ok := s.names[f.Name]
				if !ok {
					id = ident(name)
					if prev, dup := used[id]; dup {
						return nil, fmt.Errorf("the columns %q and %q make the same attribute name %q", prev, name, id)
					}
					used[id], s.names[f.Name] = name, id
					s.attrs[id] = true
				}
				if f.Kind == models.Symbol {
					seenSym[id] = true
				}
			case "stage":
				j, ok := strings.CutPrefix(name, Stack+"/")
				if !ok || ident(j) != j || j == "offers" {
					return nil, fmt.Errorf("the stage predictor %q is not stage.%s/<journey>", f.Name, Stack)
				}
				if stageSeen[j] == nil {
					stageSeen[j] = map[string]bool{}
					s.journeys[j] = nil
				}
				if f.Kind == models.Symbol && !stageSeen[j][f.Sym] {
					if ident(f.Sym) != f.Sym {
						return nil, fmt.Errorf("the stage %q of %s is not an identifier", f.Sym, j)
					}
					stageSeen[j][f.Sym] = true
					s.journeys[j] = append(s.journeys[j], f.Sym)
				}
			case "context":
				s.context[name] = true
			default:
				return nil, fmt.Errorf("the predictor %q is not customer.<name>, stage.<stack>/<journey> or context.<key>", f.Name)
			}
		}
	}
	for id := range s.attrs {
		s.attrs[id] = !seenSym[id]
	}
	for j, st := range s.journeys {
		if len(st) == 0 {
			delete(s.journeys, j)
		}
	}
	return s, nil
}

// config is the configuration the evaluation applies: the attributes, a
// journey per stage predictor whose stages are entered by events, and
// the journey offers, which everyone enters, with the two actions.
func (s *schema) config(o Options) map[string]string {
	var b strings.Builder
	fmt.Fprintf(&b, "waymark {\n  stack = %q\n  required_providers {\n    inbound = { source = \"waymark/inbound\" }\n  }\n}\n\n", Stack)
	b.WriteString("customer {\n")
	for _, id := range sortedKeys(s.attrs) {
		typ := "string"
		if s.attrs[id] {
			typ = "number"
		}
		fmt.Fprintf(&b, "  attribute %q { type = %s }\n", id, typ)
	}
	b.WriteString("}\n\nevent \"seen\" {}\n")
	for _, j := range sortedKeys(s.journeys) {
		fmt.Fprintf(&b, "event \"enter_%s\" {}\n", j)
		for _, st := range s.journeys[j][1:] {
			fmt.Fprintf(&b, "event \"%s_%s\" {}\n", j, st)
		}
	}
	b.WriteString("\nchannel \"web\" {\n  provider = inbound\n}\n\n")
	model := modelBlock(o, "  ", false)
	fmt.Fprintf(&b, "arbitration {\n  priority      = propensity\n  max_actions   = 2\n  control_group = 0\n%s}\n\n", model)
	for _, j := range sortedKeys(s.journeys) {
		st := s.journeys[j]
		fmt.Fprintf(&b, "journey %q {\n  entry {\n    event = event.enter_%s\n  }\n  stage %q {}\n", j, j, st[0])
		for _, x := range st[1:] {
			fmt.Fprintf(&b, "  stage %q {\n    entry { event = event.%s_%s }\n  }\n", x, j, x)
		}
		b.WriteString("}\n\n")
	}
	b.WriteString("journey \"offers\" {\n  entry {\n    event = event.seen\n  }\n  stage \"open\" {}\n\n")
	fmt.Fprintf(&b, "  action %q {\n    channel = channel.web\n    stages  = [stage.open]\n  }\n", ActionModel)
	fmt.Fprintf(&b, "  action %q {\n    channel = channel.web\n    stages  = [stage.open]\n%s  }\n}\n", ActionBaseline, modelBlock(o, "    ", true))
	return map[string]string{"eval.wm.hcl": b.String()}
}

// modelBlock is a model block at indent with the half-life of o and, with
// none, no predictors; empty when it would say nothing.
func modelBlock(o Options, indent string, none bool) string {
	var lines [][2]string
	if none {
		lines = append(lines, [2]string{"predictors", "[]"})
	}
	switch {
	case o.Settings.HalfLifeResponses > 0:
		lines = append(lines, [2]string{"half_life_responses", strconv.Itoa(o.Settings.HalfLifeResponses)})
	case o.Settings.HalfLife > 0:
		lines = append(lines, [2]string{"half_life", strconv.Quote(strconv.Itoa(max(1, int(o.Settings.HalfLife.Hours()))) + "h")})
	}
	if len(lines) == 0 {
		return ""
	}
	w := 0
	for _, l := range lines {
		w = max(w, len(l[0]))
	}
	out := indent + "model {\n"
	for _, l := range lines {
		out += fmt.Sprintf("%s  %-*s = %s\n", indent, w, l[0], l[1])
	}
	return out + indent + "}\n"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// writeEvents appends a customer's events, as JSON Lines: seen, with
// their attributes as traits, then the entry and stage events of each
// journey they are in.
func (s *schema) writeEvents(w io.Writer, id string, r Row, at time.Time) {
	traits := map[string]any{}
	var stages [][2]string
	for _, f := range r.X {
		kind, name, _ := strings.Cut(f.Name, ".")
		switch kind {
		case "customer":
			switch f.Kind {
			case models.Number:
				if s.attrs[s.names[f.Name]] {
					traits[s.names[f.Name]] = f.Num
				} else {
					traits[s.names[f.Name]] = strconv.FormatFloat(f.Num, 'g', -1, 64)
				}
			case models.Symbol:
				traits[s.names[f.Name]] = f.Sym
			}
		case "stage":
			if f.Kind == models.Symbol {
				stages = append(stages, [2]string{strings.TrimPrefix(name, Stack+"/"), f.Sym})
			}
		}
	}
	ts := at.UTC().Format(time.RFC3339Nano)
	ev := func(n int, typ string, extra string) {
		fmt.Fprintf(w, `{"id":"%s-%d","type":%q,"customer_id":%q,"timestamp":%q%s}`+"\n", id, n, typ, id, ts, extra)
	}
	tj, _ := json.Marshal(traits)
	ev(0, "seen", `,"traits":`+string(tj))
	for i, st := range stages {
		ev(2*i+1, "enter_"+st[0], "")
		if st[1] != s.journeys[st[0]][0] {
			ev(2*i+2, st[0]+"_"+st[1], "")
		}
	}
}
