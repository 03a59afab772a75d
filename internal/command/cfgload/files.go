package cfgload

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/lang"
)

// ReadFiles reads and parses the configuration files of dir as the
// language loader does, for the commands that must read the configuration
// before it can be loaded (init, which installs the providers that loading
// needs, and providers): the same files (lang.FindFiles: *.wm.hcl and
// *.wm.json), the same limits, native or JSON syntax by suffix. It returns
// the files that parsed and the texts of all, for diagnostics.
func ReadFiles(dir string) ([]*hcl.File, cmdutil.Sources, hcl.Diagnostics) {
	srcs := cmdutil.Sources{}
	fail := func(summary, detail string) ([]*hcl.File, cmdutil.Sources, hcl.Diagnostics) {
		return nil, srcs, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: summary, Detail: detail}}
	}
	paths, err := lang.FindFiles(dir)
	if err != nil {
		return fail("Cannot read configuration", err.Error())
	}
	switch {
	case len(paths) == 0:
		return fail("No configuration files", fmt.Sprintf("The directory %s holds no *%s or *%s files.", dir, lang.SuffixHCL, lang.SuffixJSON))
	case len(paths) > lang.MaxFiles:
		return fail("Too many configuration files", fmt.Sprintf("The directory holds %d configuration files; at most %d are read.", len(paths), lang.MaxFiles))
	}
	var files []*hcl.File
	var diags hcl.Diagnostics
	total := int64(0)
	for _, path := range paths {
		name := filepath.Clean(path)
		info, err := os.Stat(path)
		if err != nil {
			return fail("Cannot read file", err.Error())
		}
		if info.Size() > lang.MaxFileSize {
			return fail("File too large", fmt.Sprintf("%s is %d bytes; a configuration file may be at most %d bytes.", name, info.Size(), lang.MaxFileSize))
		}
		if total += info.Size(); total > lang.MaxTotalSize {
			return fail("Configuration too large", fmt.Sprintf("The configuration's files add up to more than %d bytes.", lang.MaxTotalSize))
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return fail("Cannot read file", err.Error())
		}
		srcs[name] = src
		var f *hcl.File
		var more hcl.Diagnostics
		if strings.HasSuffix(name, lang.SuffixJSON) {
			f, more = hcljson.Parse(src, name)
		} else {
			f, more = hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		}
		diags = append(diags, more...)
		if !more.HasErrors() {
			files = append(files, f)
		}
	}
	return files, srcs, diags
}
