package lang

import (
	"bytes"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"

	"github.com/waymarkhq/waymark/lang/limits"
)

// pieceBytes is the least size of a piece of a native-syntax file that is
// parsed on its own. HCL's lexer appends every token of what it parses to
// one slice: a large file, parsed whole, spends much of its parse growing
// and copying that slice; pieces of a block or a few keep it small, and
// parse on all cores. Of 256 B, 1, 4, 16 and 64 KiB, 1 KiB took the least
// CPU in BenchmarkValidatePlan (one journey a piece; 441 MB allocated a
// load against 507 MB at 4 KiB and 635 MB at 64 KiB).
const pieceBytes = 1 << 10

// piece is a part of a file's text, from one top-level item to another,
// and its parse.
type piece struct {
	file     int // index in the sources
	from, to int // byte offsets in the file
	start    hcl.Pos
	f        *hcl.File
	diags    hcl.Diagnostics
}

// parseAll parses the files, all cores at once (parsing is most of the
// cost of loading a large configuration), and records their texts and
// diagnostics in order. It returns the files in the same order, nil for
// those that did not parse.
//
// A native-syntax file is parsed in pieces cut between its top-level
// blocks, where the scan for its nesting found them, and the pieces' bodies
// joined into one: the same syntax tree as the file's parsed whole, every
// range counted from the file's start. A file with any diagnostic in a
// piece, or an argument set in two pieces, is parsed again whole, so that
// its diagnostics are the parser's own.
func (l *loader) parseAll(srcs []source) []*hcl.File {
	parseSources(srcs, pieceBytes)
	out := make([]*hcl.File, len(srcs))
	for i, s := range srcs {
		if !s.refused {
			l.cfg.Sources[s.name] = s.src
		}
		l.addAll(s.diags)
		if !s.diags.HasErrors() {
			out[i] = s.f
		}
	}
	return out
}

// parseSources sets each source's parse and diagnostics, parsing native
// syntax in pieces of at least minPiece bytes.
func parseSources(srcs []source, minPiece int) {
	cuts := make([][]int, len(srcs))
	parallel(len(srcs), func(i int) {
		s := &srcs[i]
		// The parsers recurse on nesting: too deep a file would
		// overflow the stack.
		if strings.HasSuffix(s.name, ".json") {
			if d := limits.CheckNesting(s.src, s.name, hcl.InitialPos, limits.JSON); d != nil {
				s.diags, s.refused = hcl.Diagnostics{d}, true
			} else {
				s.f, s.diags = hcljson.Parse(s.src, s.name)
			}
			return
		}
		c, d := limits.CheckNestingCuts(s.src, s.name, hcl.InitialPos, minPiece)
		if d != nil {
			s.diags, s.refused = hcl.Diagnostics{d}, true
			return
		}
		cuts[i] = c
	})
	var pieces []piece
	for i := range srcs {
		if cuts[i] != nil {
			pieces = appendPieces(pieces, i, srcs[i].src, cuts[i])
		}
	}
	parallel(len(pieces), func(k int) {
		p := &pieces[k]
		p.f, p.diags = hclsyntax.ParseConfig(srcs[p.file].src[p.from:p.to], srcs[p.file].name, p.start)
	})
	for k := 0; k < len(pieces); {
		n := 1
		for k+n < len(pieces) && pieces[k+n].file == pieces[k].file {
			n++
		}
		s := &srcs[pieces[k].file]
		if f, ok := join(pieces[k:k+n], s.src); ok {
			s.f = f
		} else {
			s.f, s.diags = hclsyntax.ParseConfig(s.src, s.name, hcl.InitialPos)
		}
		k += n
	}
}

// appendPieces appends the pieces of file i, whose text src is cut at
// cuts (each just after a newline).
func appendPieces(pieces []piece, i int, src []byte, cuts []int) []piece {
	pos := hcl.InitialPos
	from := 0
	for _, to := range append(cuts, len(src)) {
		pieces = append(pieces, piece{file: i, from: from, to: to, start: pos})
		pos = hcl.Pos{Line: pos.Line + bytes.Count(src[from:to], []byte{'\n'}), Column: 1, Byte: to}
		from = to
	}
	return pieces
}

// join joins the parsed pieces of one file, in order, into the file src
// parsed whole; it reports false when a piece had a diagnostic or two set
// the same argument.
func join(pieces []piece, src []byte) (*hcl.File, bool) {
	for _, p := range pieces {
		if len(p.diags) > 0 {
			return nil, false
		}
	}
	f := pieces[0].f
	if len(pieces) == 1 {
		return f, true
	}
	// The first piece's body becomes the file's, so that the file's
	// navigation (which holds it) serves the whole file.
	body := f.Body.(*hclsyntax.Body)
	for _, p := range pieces[1:] {
		b := p.f.Body.(*hclsyntax.Body)
		for name, a := range b.Attributes {
			if _, dup := body.Attributes[name]; dup {
				return nil, false
			}
			body.Attributes[name] = a
		}
		body.Blocks = append(body.Blocks, b.Blocks...)
	}
	last := pieces[len(pieces)-1].f.Body.(*hclsyntax.Body)
	body.SrcRange = hcl.RangeBetween(body.SrcRange, last.SrcRange)
	body.EndRange = last.EndRange
	f.Bytes = src
	return f, true
}

// parallel calls do(0) … do(n-1), on as many goroutines as there are
// cores, and returns when all have returned.
func parallel(n int, do func(int)) {
	workers := min(n, runtime.GOMAXPROCS(0))
	if workers <= 1 {
		for i := range n {
			do(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				do(i)
			}
		})
	}
	wg.Wait()
}
