package limits

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// Syntax says how CheckNesting reads its source.
type Syntax int

const (
	// Config is a file of HCL native syntax.
	Config Syntax = iota
	// Expression is one native expression, such as a -var value.
	Expression
	// Template is a template file's text.
	Template
	// JSON is a file of HCL's JSON syntax; its strings are templates.
	JSON
	// JSONData is JSON whose strings are plain text, as jsondecode reads.
	JSONData
)

// CheckNesting reports, before the parser sees src, the first place where
// src nests more than MaxNesting levels deep or has a number literal of
// more than MaxNumberDigits digits; nil when it has neither. The HCL and
// JSON parsers recurse once or more per level, so this keeps them, and
// everything that walks their trees, within the stack.
//
// The scan knows strings, heredocs, comments, interpolations and template
// directives, so that brackets in text do not count; what it cannot tell
// apart it counts, which only ever makes it stricter. start is the position
// of src's first byte.
func CheckNesting(src []byte, filename string, start hcl.Pos, syntax Syntax) *hcl.Diagnostic {
	return (&nestScan{src: src}).check(filename, start, syntax)
}

// CheckNestingCuts is CheckNesting of a file of native syntax (Config)
// that also returns where its top-level items end: each offset is just
// after a "}" that closes a brace opened at the top level (a block's body,
// or an object) and the newline after it, the offsets at least minChunk
// bytes apart and none at the end of src. Cutting the file there
// gives pieces that parse on their own, when the scan read the file as
// the parser does; a caller must check that each piece parses without a
// diagnostic before it trusts the cut.
func CheckNestingCuts(src []byte, filename string, start hcl.Pos, minChunk int) ([]int, *hcl.Diagnostic) {
	s := &nestScan{src: src, cuts: []int{}, minChunk: minChunk}
	if d := s.check(filename, start, Config); d != nil {
		return nil, d
	}
	return s.cuts, nil
}

func (s *nestScan) check(filename string, start hcl.Pos, syntax Syntax) *hcl.Diagnostic {
	src := s.src
	switch syntax {
	case JSON, JSONData:
		s.json(syntax == JSON)
	case Template:
		s.push(frameTemplate, nil)
		s.native()
	case Expression:
		s.push(frameParen, nil)
		s.native()
	default:
		s.push(frameBody, nil)
		s.native()
	}
	if s.fail == "" {
		return nil
	}
	pos := posAt(src, start, s.at)
	end := pos
	if s.at < len(src) {
		_, n := utf8.DecodeRune(src[s.at:])
		end = hcl.Pos{Line: pos.Line, Column: pos.Column + 1, Byte: pos.Byte + n}
	}
	summary := "Configuration nested too deeply"
	if s.number {
		summary = "Number literal too long"
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   s.fail,
		Subject:  &hcl.Range{Filename: filename, Start: pos, End: end},
	}
}

// posAt is the position of src[off], src starting at start.
func posAt(src []byte, start hcl.Pos, off int) hcl.Pos {
	p := start
	head := src[:off]
	if nl := bytes.Count(head, []byte{'\n'}); nl > 0 {
		p.Line += nl
		head = head[bytes.LastIndexByte(head, '\n')+1:]
		p.Column = 1
	}
	p.Column += utf8.RuneCount(head)
	p.Byte += off
	return p
}

type frameKind int

const (
	frameBody     frameKind = iota // a file's body: newlines end expressions
	frameParen                     // ( ... ), or a lone expression
	frameBracket                   // [ ... ]
	frameBrace                     // { ... }: an object or a block body
	frameInterp                    // ${ ... } or %{ ... } in a template
	frameQuoted                    // "..."
	frameHeredoc                   // <<EOT ... EOT
	frameTemplate                  // a template file, to the end
	frameControl                   // between %{if}/%{for} and its end
)

func (k frameKind) template() bool { return k >= frameQuoted }

type frame struct {
	kind   frameKind
	ops    int    // operators counted at this level since the last separator
	marker []byte // a heredoc's closing marker
}

type nestScan struct {
	src    []byte
	i      int
	frames []frame
	ops    int // the sum of the frames' ops
	fail   string
	at     int
	number bool
	// cuts, when not nil, collects the ends of top-level blocks
	// (CheckNestingCuts), minChunk bytes apart at least.
	cuts     []int
	minChunk int
}

func (s *nestScan) depth() int { return len(s.frames) - 1 + s.ops }

func (s *nestScan) failAt(at int, format string, args ...any) {
	if s.fail == "" {
		s.fail, s.at = fmt.Sprintf(format, args...), at
	}
}

func (s *nestScan) tooDeep(at int) {
	s.failAt(at, "The configuration nests more than %d levels deep here (brackets, braces, parentheses, interpolations, template directives and the operators of one expression each count one level).", MaxNesting)
}

func (s *nestScan) push(k frameKind, marker []byte) {
	s.frames = append(s.frames, frame{kind: k, marker: marker})
	if s.depth() > MaxNesting {
		s.tooDeep(s.i)
	}
}

func (s *nestScan) pop() {
	s.ops -= s.frames[len(s.frames)-1].ops
	s.frames = s.frames[:len(s.frames)-1]
}

func (s *nestScan) top() *frame { return &s.frames[len(s.frames)-1] }

func (s *nestScan) addOps(n int) {
	s.top().ops += n
	s.ops += n
	if s.depth() > MaxNesting {
		s.tooDeep(s.i)
	}
}

func (s *nestScan) resetOps() {
	s.ops -= s.top().ops
	s.top().ops = 0
}

func (s *nestScan) peek(off int) byte {
	if s.i+off < len(s.src) {
		return s.src[s.i+off]
	}
	return 0
}

func bracketKind(c byte) frameKind {
	switch c {
	case '(', ')':
		return frameParen
	case '[', ']':
		return frameBracket
	}
	return frameBrace
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdent(c byte) bool { return isIdentStart(c) || c == '-' || (c >= '0' && c <= '9') }

func isOp(c byte) bool {
	switch c {
	case '+', '-', '*', '/', '%', '<', '>', '=', '&', '|', '?', '!':
		return true
	}
	return false
}

// native scans native syntax until the source ends or a limit is passed.
func (s *nestScan) native() {
	for s.i < len(s.src) && s.fail == "" && len(s.frames) > 0 {
		if s.top().kind.template() {
			s.templateText()
		} else {
			s.expression()
		}
	}
}

// expression scans one token of expression syntax.
func (s *nestScan) expression() {
	c := s.src[s.i]
	switch {
	case c == '#' || (c == '/' && s.peek(1) == '/'):
		for s.i < len(s.src) && s.src[s.i] != '\n' {
			s.i++
		}
	case c == '/' && s.peek(1) == '*':
		if end := bytes.Index(s.src[s.i+2:], []byte("*/")); end >= 0 {
			s.i += end + 4
		} else {
			s.i = len(s.src)
		}
	case c == '"':
		s.i++
		s.push(frameQuoted, nil)
	case c == '<' && s.peek(1) == '<' && s.heredoc():
	case c == '(' || c == '[' || c == '{':
		s.i++
		s.push(bracketKind(c), nil)
	case c == ')' || c == ']' || c == '}':
		s.i++
		want := bracketKind(c)
		if k := s.top().kind; len(s.frames) > 1 && (k == want || (c == '}' && k == frameInterp)) {
			s.pop()
			if s.cuts != nil && len(s.frames) == 1 && k == frameBrace && s.peek(0) == '\n' {
				s.cut(s.i + 1)
			}
		}
	case c == ',':
		s.i++
		s.resetOps()
	case c == '\n':
		s.i++
		if k := s.top().kind; k == frameBody || k == frameBrace {
			s.resetOps()
		}
	case isIdentStart(c):
		for s.i < len(s.src) && isIdent(s.src[s.i]) {
			s.i++
		}
	case c >= '0' && c <= '9':
		start := s.i
		for s.i < len(s.src) && ((s.src[s.i] >= '0' && s.src[s.i] <= '9') || s.src[s.i] == '.') {
			s.i++
		}
		if s.i-start > MaxNumberDigits {
			s.number = true
			s.failAt(start, "This number literal has %d digits; a number may have at most %d.", s.i-start, MaxNumberDigits)
		}
	case isOp(c):
		start := s.i
		n, other := 0, false
		for s.i < len(s.src) && isOp(s.src[s.i]) {
			if s.src[s.i] == '!' || s.src[s.i] == '-' {
				n++
			} else {
				other = true
			}
			s.i++
		}
		if !other || s.i-start > 1 || c != '=' {
			if other {
				n++
			}
			s.addOps(n)
		} else {
			s.resetOps() // a lone "=" starts an attribute's or an item's value
		}
	default:
		s.i++
	}
}

// cut records a top-level block's end at off, unless the previous cut is
// less than minChunk bytes before it.
func (s *nestScan) cut(off int) {
	last := 0
	if n := len(s.cuts); n > 0 {
		last = s.cuts[n-1]
	}
	if off-last >= s.minChunk && off < len(s.src) {
		s.cuts = append(s.cuts, off)
	}
}

// heredoc starts a heredoc at s.i ("<<EOT" or "<<-EOT" and a newline) and
// reports whether there was one.
func (s *nestScan) heredoc() bool {
	j := s.i + 2
	if j < len(s.src) && s.src[j] == '-' {
		j++
	}
	m := j
	for j < len(s.src) && isIdent(s.src[j]) {
		j++
	}
	if j == m || !isIdentStart(s.src[m]) {
		return false
	}
	marker := s.src[m:j]
	if j < len(s.src) && s.src[j] == '\r' {
		j++
	}
	if j >= len(s.src) || s.src[j] != '\n' {
		return false
	}
	s.i = j + 1
	s.push(frameHeredoc, marker)
	return true
}

// enclosing is the template frame that a control frame belongs to.
func (s *nestScan) enclosing() frameKind {
	for i := len(s.frames) - 1; i >= 0; i-- {
		if k := s.frames[i].kind; k != frameControl {
			return k
		}
	}
	return frameTemplate
}

// endTemplate pops the control frames and the template frame they are in.
func (s *nestScan) endTemplate() {
	for len(s.frames) > 0 && s.top().kind == frameControl {
		s.pop()
	}
	if len(s.frames) > 0 {
		s.pop()
	}
}

// templateText scans one piece of template text.
func (s *nestScan) templateText() {
	c := s.src[s.i]
	kind := s.enclosing()
	switch {
	case kind == frameQuoted && c == '\\':
		s.i += 2
	case kind == frameQuoted && (c == '"' || c == '\n'):
		s.i++
		s.endTemplate()
	case kind == frameHeredoc && (s.i == 0 || s.src[s.i-1] == '\n') && s.heredocEnd():
	case (c == '$' || c == '%') && s.peek(1) == c && s.peek(2) == '{':
		s.i += 3 // $${ and %%{ are literal
	case c == '$' && s.peek(1) == '{':
		s.i += 2
		s.push(frameInterp, nil)
	case c == '%' && s.peek(1) == '{':
		s.i += 2
		j := s.i
		for j < len(s.src) && (s.src[j] == '~' || s.src[j] == ' ' || s.src[j] == '\t') {
			j++
		}
		k := j
		for k < len(s.src) && isIdent(s.src[k]) {
			k++
		}
		switch string(s.src[j:k]) {
		case "if", "for":
			s.push(frameControl, nil)
		case "endif", "endfor":
			if s.top().kind == frameControl {
				s.pop()
			}
		}
		s.push(frameInterp, nil)
	default:
		s.i++
	}
}

// heredocEnd closes the heredoc if its marker stands alone on the line at
// s.i, and reports whether it did.
func (s *nestScan) heredocEnd() bool {
	var marker []byte
	for i := len(s.frames) - 1; i >= 0; i-- {
		if s.frames[i].kind == frameHeredoc {
			marker = s.frames[i].marker
			break
		}
	}
	j := s.i
	for j < len(s.src) && (s.src[j] == ' ' || s.src[j] == '\t') {
		j++
	}
	if !bytes.HasPrefix(s.src[j:], marker) {
		return false
	}
	j += len(marker)
	if j < len(s.src) && s.src[j] == '\r' {
		j++
	}
	if j < len(s.src) && s.src[j] != '\n' {
		return false
	}
	s.i = j
	s.endTemplate()
	return true
}

// json scans JSON syntax; each string is scanned as a template as deep as
// the string stands.
func (s *nestScan) json(templates bool) {
	s.push(frameBody, nil)
	var buf []byte
	for s.i < len(s.src) && s.fail == "" {
		c := s.src[s.i]
		switch c {
		case '[', '{':
			s.i++
			s.push(frameBracket, nil)
		case ']', '}':
			s.i++
			if len(s.frames) > 1 {
				s.pop()
			}
		case '"':
			start := s.i
			buf = s.jsonString(buf[:0])
			if !templates {
				continue
			}
			sub := &nestScan{src: buf, frames: []frame{{kind: frameTemplate}}, ops: s.depth()}
			sub.native()
			if sub.fail != "" {
				s.number = sub.number
				s.failAt(start, "%s", sub.fail)
			}
		default:
			if c >= '0' && c <= '9' {
				start := s.i
				for s.i < len(s.src) && s.src[s.i] >= '0' && s.src[s.i] <= '9' {
					s.i++
				}
				if s.i-start > MaxNumberDigits {
					s.number = true
					s.failAt(start, "This number literal has %d digits; a number may have at most %d.", s.i-start, MaxNumberDigits)
				}
				continue
			}
			s.i++
		}
	}
}

// jsonString reads the JSON string at s.i into buf, its escapes decoded.
func (s *nestScan) jsonString(buf []byte) []byte {
	s.i++
	for s.i < len(s.src) {
		c := s.src[s.i]
		switch {
		case c == '"':
			s.i++
			return buf
		case c == '\\' && s.i+1 < len(s.src):
			e := s.src[s.i+1]
			s.i += 2
			switch e {
			case 'n':
				buf = append(buf, '\n')
			case 't', 'r', 'b', 'f':
				buf = append(buf, ' ')
			case 'u':
				var r rune
				for k := 0; k < 4 && s.i < len(s.src); k++ {
					r = r<<4 | rune(hexVal(s.src[s.i]))
					s.i++
				}
				buf = utf8.AppendRune(buf, r)
			default:
				buf = append(buf, e)
			}
		default:
			buf = append(buf, c)
			s.i++
		}
	}
	return buf
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}
