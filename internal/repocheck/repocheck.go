package repocheck

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// PhonyWithoutRule returns the targets a Makefile declares .PHONY but
// gives no rule.
func PhonyWithoutRule(makefile io.Reader) ([]string, error) {
	phony := map[string]bool{}
	rules := map[string]bool{}
	sc := bufio.NewScanner(makefile)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "#") {
			continue
		}
		head, _, ok := strings.Cut(line, ":")
		if !ok || strings.Contains(head, "=") || strings.HasPrefix(line[len(head)+1:], "=") {
			continue // not a rule, or a := assignment
		}
		rest := line[len(head)+1:]
		if strings.TrimSpace(head) == ".PHONY" {
			for _, t := range strings.Fields(rest) {
				phony[t] = true
			}
			continue
		}
		for _, t := range strings.Fields(head) {
			rules[t] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the Makefile: %w", err)
	}
	var out []string
	for t := range phony {
		if !rules[t] {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out, nil
}

// errorRef is an error named in a comment, qualified or not.
var errorRef = regexp.MustCompile(`\b(?:([a-z][a-z0-9]*)\.)?(Err[A-Z]\w*|[A-Z]\w*Error)\b`)

// StaleErrorNames returns, as "file:line: name", the errors named in the
// comments of the Go files under root that nothing declares: unqualified,
// no identifier of that name anywhere under root (a type, value, function,
// field or method); qualified by the name of a package under root, no
// top-level declaration of it in that package. Names qualified by other
// packages (the standard library's) are not checked. testdata and hidden
// directories are skipped.
func StaleErrorNames(root string) ([]string, error) {
	fset := token.NewFileSet()
	decls := map[string]map[string]bool{} // package name: top-level names
	idents := map[string]bool{}
	var files []*ast.File
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != root && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			return fmt.Errorf("parsing %s: %w", p, err)
		}
		files = append(files, f)
		pkg := decls[f.Name.Name]
		if pkg == nil {
			pkg = map[string]bool{}
			decls[f.Name.Name] = pkg
		}
		for _, obj := range f.Scope.Objects {
			pkg[obj.Name] = true
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				pkg[fd.Name.Name] = true
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				idents[id.Name] = true
			}
			return true
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				for _, m := range errorRef.FindAllStringSubmatch(c.Text, -1) {
					qual, name := m[1], m[2]
					stale := !idents[name]
					if qual != "" {
						pkg, ours := decls[qual]
						stale = ours && !pkg[name]
					}
					if stale {
						pos := fset.Position(c.Pos())
						rel, _ := filepath.Rel(root, pos.Filename)
						out = append(out, fmt.Sprintf("%s:%d: %s", filepath.ToSlash(rel), pos.Line, m[0]))
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
