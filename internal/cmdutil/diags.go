package cmdutil

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fatih/color"
	"github.com/hashicorp/hcl/v2"
)

// Sources gives the text of the files that diagnostics point into, by the
// filename their ranges carry.
type Sources map[string][]byte

// WriteDiagnostics prints diagnostics as Terraform does: severity and
// summary, the place as file:line:column with the enclosing block, the
// source lines with the range marked, then the detail. Filenames are shown
// relative to the working directory where that is shorter.
func (s *Streams) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, src Sources) {
	red := s.Colorize(color.FgRed, color.Bold)
	yellow := s.Colorize(color.FgYellow, color.Bold)
	bold := s.Colorize(color.Bold)
	under := s.Colorize(color.Underline)
	for _, d := range diags {
		var b strings.Builder
		head := red("Error: ")
		edge := red
		if d.Severity == hcl.DiagWarning {
			head = yellow("Warning: ")
			edge = yellow
		}
		fmt.Fprintf(&b, "%s%s\n", head, bold("%s", d.Summary))
		if d.Subject != nil {
			b.WriteString("\n")
			writeSnippet(&b, d, src, under)
		}
		if d.Detail != "" {
			b.WriteString("\n")
			b.WriteString(d.Detail)
			b.WriteString("\n")
		}
		lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
		fmt.Fprintln(w, edge("╷"))
		for _, l := range lines {
			if l == "" {
				fmt.Fprintln(w, edge("│"))
				continue
			}
			fmt.Fprintf(w, "%s %s\n", edge("│"), l)
		}
		fmt.Fprintln(w, edge("╵"))
	}
}

func writeSnippet(b *strings.Builder, d *hcl.Diagnostic, src Sources, under func(string, ...any) string) {
	rng := *d.Subject
	name := displayName(rng.Filename)
	where := fmt.Sprintf("  on %s:%d:%d", name, rng.Start.Line, rng.Start.Column)
	text, ok := src[rng.Filename]
	if ok {
		if ctx := blockContext(text, rng); ctx != "" {
			where += ", in " + ctx
		}
	}
	b.WriteString(where + ":\n")
	if !ok {
		return
	}
	// The lines of the subject (at most three), with the subject's columns
	// marked by carets beneath each.
	sc := hcl.NewRangeScanner(text, rng.Filename, bufio.ScanLines)
	shown := 0
	for sc.Scan() {
		lr := sc.Range()
		if lr.End.Line < rng.Start.Line {
			continue
		}
		if lr.Start.Line > rng.End.Line || shown == 3 {
			break
		}
		shown++
		line := strings.ReplaceAll(string(sc.Bytes()), "\t", " ")
		gutter := fmt.Sprintf("%4d: ", lr.Start.Line)
		from, to := 0, len(line)
		if lr.Start.Line == rng.Start.Line {
			from = rng.Start.Byte - lr.Start.Byte
		}
		if lr.Start.Line == rng.End.Line {
			to = rng.End.Byte - lr.Start.Byte
		}
		from, to = clamp(from, len(line)), clamp(to, len(line))
		if to < from {
			to = from
		}
		b.WriteString(gutter + line[:from] + under("%s", line[from:to]) + line[to:] + "\n")
		width := len([]rune(line[from:to]))
		if width == 0 {
			width = 1
		}
		b.WriteString(strings.Repeat(" ", len(gutter)+len([]rune(line[:from]))) + strings.Repeat("^", width) + "\n")
	}
}

func clamp(n, max int) int {
	if n < 0 {
		return 0
	}
	if n > max {
		return max
	}
	return n
}

// blockContext names the block that encloses rng ("journey \"cart\""), from
// the file's own syntax tree.
func blockContext(src []byte, rng hcl.Range) string {
	f := parseForContext(src, rng.Filename)
	if f == nil {
		return ""
	}
	if cs, ok := f.Nav.(interface{ ContextString(int) string }); ok {
		return cs.ContextString(rng.Start.Byte)
	}
	return ""
}

func displayName(name string) string {
	if !filepath.IsAbs(name) {
		return name
	}
	if wd, err := filepath.Abs("."); err == nil {
		if rel, err := filepath.Rel(wd, name); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return name
}

// JSONDiagnostic is one diagnostic in validate -json output, in Terraform's
// shape.
type JSONDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail"`
	Range    *JSONRange `json:"range,omitempty"`
	Snippet  *JSONSnip  `json:"snippet,omitempty"`
}

// JSONRange is a source range.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is a position in a file.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// JSONSnip is the source the diagnostic points at.
type JSONSnip struct {
	Context              *string `json:"context"`
	Code                 string  `json:"code"`
	StartLine            int     `json:"start_line"`
	HighlightStartOffset int     `json:"highlight_start_offset"`
	HighlightEndOffset   int     `json:"highlight_end_offset"`
}

// JSONDiagnostics converts diagnostics to their JSON form, in order.
func JSONDiagnostics(diags hcl.Diagnostics, src Sources) []JSONDiagnostic {
	out := make([]JSONDiagnostic, 0, len(diags))
	for _, d := range diags {
		j := JSONDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			j.Severity = "warning"
		}
		if d.Subject != nil {
			r := *d.Subject
			j.Range = &JSONRange{
				Filename: displayName(r.Filename),
				Start:    JSONPos{r.Start.Line, r.Start.Column, r.Start.Byte},
				End:      JSONPos{r.End.Line, r.End.Column, r.End.Byte},
			}
			if text, ok := src[r.Filename]; ok {
				j.Snippet = jsonSnippet(text, r)
			}
		}
		out = append(out, j)
	}
	return out
}

func jsonSnippet(text []byte, r hcl.Range) *JSONSnip {
	lines := bytes.Split(text, []byte("\n"))
	if r.Start.Line < 1 || r.Start.Line > len(lines) {
		return nil
	}
	lineStart := 0
	for i := 0; i < r.Start.Line-1; i++ {
		lineStart += len(lines[i]) + 1
	}
	end := r.End.Line
	if end > len(lines) {
		end = len(lines)
	}
	code := string(bytes.Join(lines[r.Start.Line-1:end], []byte("\n")))
	s := &JSONSnip{
		Code:                 code,
		StartLine:            r.Start.Line,
		HighlightStartOffset: r.Start.Byte - lineStart,
		HighlightEndOffset:   r.End.Byte - lineStart,
	}
	if c := blockContext(text, r); c != "" {
		s.Context = &c
	}
	return s
}

// SortDiagnostics orders diagnostics by file and position, errors of one
// place before warnings, so that output is stable.
func SortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil && b == nil:
			return false
		case a == nil:
			return true
		case b == nil:
			return false
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Byte != b.Start.Byte:
			return a.Start.Byte < b.Start.Byte
		}
		return diags[i].Severity < diags[j].Severity
	})
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// WriteJSONList is WriteJSON for a list: an empty one is written as [],
// never null, so that scripts can iterate it.
func WriteJSONList[T any](w io.Writer, list []T) error {
	if list == nil {
		list = []T{}
	}
	return WriteJSON(w, list)
}

// Plural is one when n is 1, else many.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
