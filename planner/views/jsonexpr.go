package views

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/lang/deploy"
)

// exprPaths are, by kind, the paths of the attributes that hold runtime
// expressions; "*" stands for any key or list index.
var exprPaths = map[deploy.Kind][]string{
	deploy.KindSegment:     {"condition"},
	deploy.KindJourney:     {"entry.condition", "goal.condition", "exits.*.condition"},
	deploy.KindStage:       {"entry.condition"},
	deploy.KindAction:      {"eligible", "value"},
	deploy.KindChannel:     {"per_delivery.*"},
	deploy.KindArbitration: {"priority"},
}

// typedExpressions returns a copy of attrs (already without sensitive
// values) in which each runtime expression that is a constant number or
// bool is that JSON number or bool, and the shape of the expressions that
// stay source text: true at each such path, an object of the keys that
// are or hold one, a list with an entry per element, other leaves left
// out of an object (as before_sensitive marks sensitive values). attrs
// itself is not changed: it may be shared with the plan.
func typedExpressions(kind deploy.Kind, attrs map[string]any) (map[string]any, any) {
	patterns := exprPaths[kind]
	if len(patterns) == 0 {
		return attrs, map[string]any{}
	}
	v, marks := typeValue(attrs, nil, patterns)
	if marks == false {
		marks = map[string]any{}
	}
	return v.(map[string]any), marks
}

func typeValue(v any, path []string, patterns []string) (any, any) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		marks := map[string]any{}
		for k, e := range x {
			ev, m := typeValue(e, append(path, k), patterns)
			out[k] = ev
			if m != false {
				marks[k] = m
			}
		}
		if len(path) > 0 && len(marks) == 0 {
			return out, false
		}
		return out, marks
	case []any:
		out := make([]any, len(x))
		marks := make([]any, len(x))
		marked := false
		for i, e := range x {
			out[i], marks[i] = typeValue(e, append(path, strconv.Itoa(i)), patterns)
			marked = marked || marks[i] != false
		}
		if !marked {
			return out, false
		}
		return out, marks
	case string:
		if !matchesAny(path, patterns) {
			return x, false
		}
		if c, ok := constant(x); ok {
			return c, false
		}
		return x, true
	}
	return v, false
}

// constant returns the JSON value of an expression's source when it is a
// number or bool literal.
func constant(src string) (any, bool) {
	switch src {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if src == "" || !(src[0] == '-' || src[0] >= '0' && src[0] <= '9') || !json.Valid([]byte(src)) {
		return nil, false
	}
	return json.Number(src), true
}

func matchesAny(path []string, patterns []string) bool {
	for _, p := range patterns {
		steps := strings.Split(p, ".")
		if len(steps) != len(path) {
			continue
		}
		ok := true
		for i, s := range steps {
			if s != "*" && s != path[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
