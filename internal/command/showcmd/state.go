package showcmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/fatih/color"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner"
)

// sensitive stands where a withheld value is.
type sensitive struct{}

// objectValues returns an object's attributes with each sensitive path
// holding sensitive{} (DecodeWithheld has removed the values, which the
// runtime never gives).
func objectValues(o *deploy.Object) (map[string]any, error) {
	m, err := o.Attributes()
	if err != nil {
		return nil, err
	}
	for _, p := range o.Sensitive {
		deploy.SetPathValue(m, p, sensitive{})
	}
	return m, nil
}

// label is the object's name as its block's label; empty for arbitration.
func label(m map[string]any) string {
	s, _ := m["name"].(string)
	return s
}

// blockType is the object's block type as the configuration writes it:
// action, attribute, arbitration.
func blockType(o *deploy.Object) string {
	if a, err := addrs.Parse(o.Address); err == nil {
		return a.Type()
	}
	return string(o.Kind)
}

// writeState prints what is deployed: each object by address, as a block
// of its attributes, sensitive values as (sensitive value).
func writeState(w io.Writer, s *cmdutil.Streams, stack string, dep *planner.Deployment) error {
	bold := s.Colorize(color.Bold)
	if dep.Document == nil || dep.Serial == 0 {
		_, err := fmt.Fprintf(w, "Stack %q has never been deployed.\n", stack)
		return err
	}
	if len(dep.Document.Objects) == 0 {
		_, err := fmt.Fprintf(w, "Stack %q is empty (deployment %d).\n", stack, dep.Serial)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Stack %q, deployment %d:\n", stack, dep.Serial)
	for i := range dep.Document.Objects {
		o := &dep.Document.Objects[i]
		m, err := objectValues(o)
		if err != nil {
			return err
		}
		head := blockType(o)
		if l := label(m); l != "" {
			head += " " + strconv.Quote(l)
		}
		fmt.Fprintf(&b, "\n%s\n", bold("# "+o.Address+":"))
		block(&b, 0, head, m)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// isIdentity reports whether an attribute repeats the object's address.
func isIdentity(k string) bool { return k == "name" || k == "journey" }

// block prints head and the body of m in braces; an empty body as {}.
func block(b *strings.Builder, depth int, head string, m map[string]any) {
	ind := strings.Repeat("    ", depth)
	var inner strings.Builder
	body(&inner, m, depth+1)
	if inner.Len() == 0 {
		fmt.Fprintf(b, "%s%s {}\n", ind, head)
		return
	}
	fmt.Fprintf(b, "%s%s {\n%s%s}\n", ind, head, inner.String(), ind)
}

// body prints a map's entries: scalars and lists of scalars as aligned
// attributes, then objects and lists of objects as nested blocks, each
// after a blank line.
func body(b *strings.Builder, m map[string]any, depth int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		if depth == 1 && isIdentity(k) {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ind := strings.Repeat("    ", depth)
	width := 0
	for _, k := range keys {
		if !isBlock(m[k]) && len(k) > width {
			width = len(k)
		}
	}
	var blocks []string
	for _, k := range keys {
		if isBlock(m[k]) {
			blocks = append(blocks, k)
			continue
		}
		fmt.Fprintf(b, "%s%-*s = %s\n", ind, width, k, literal(m[k], depth))
	}
	nested := func(k string, v map[string]any) {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		block(b, depth, k, v)
	}
	for _, k := range blocks {
		switch v := m[k].(type) {
		case map[string]any:
			nested(k, v)
		case []any:
			for _, e := range v {
				nested(k, e.(map[string]any))
			}
		}
	}
}

// isBlock reports whether a value prints as nested blocks: a non-empty
// object, or a non-empty list of objects.
func isBlock(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) > 0
	case []any:
		if len(x) == 0 {
			return false
		}
		for _, e := range x {
			if _, ok := e.(map[string]any); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// literal prints a value as an HCL literal; a multi-line string as a
// heredoc.
func literal(v any, depth int) string {
	switch x := v.(type) {
	case sensitive:
		return "(sensitive value)"
	case nil:
		return "null"
	case string:
		if strings.Contains(strings.TrimSuffix(x, "\n"), "\n") {
			ind := strings.Repeat("    ", depth+1)
			var b strings.Builder
			b.WriteString("<<-EOT\n")
			for _, l := range strings.Split(strings.TrimSuffix(x, "\n"), "\n") {
				b.WriteString(ind + l + "\n")
			}
			b.WriteString(strings.Repeat("    ", depth) + "EOT")
			return b.String()
		}
		return quote(x)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = literal(e, depth)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		if len(x) == 0 {
			return "{}"
		}
	}
	return quote(fmt.Sprint(v))
}

// quote writes a string as an HCL quoted string.
func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	q := strings.TrimSuffix(buf.String(), "\n")
	return strings.ReplaceAll(strings.ReplaceAll(q, "${", "$${"), "%{", "%%{")
}
