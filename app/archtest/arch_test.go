package archtest

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Dir        string
	Imports    []string
	GoFiles    []string
	Standard   bool
}

// listPackages asks the go command for every package of the module and its
// direct imports (tests excluded: they may reach further).
func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "motcua/...")
	cmd.Dir = "../.."
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list: %v\n%s", err, errb.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(&out)
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func isStd(path string) bool {
	first := strings.SplitN(path, "/", 2)[0]
	return !strings.Contains(first, ".") && first != "motcua"
}

func under(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }

// rule says which packages may import the packages matching target.
type rule struct {
	name    string
	target  func(imp string) bool
	allowed func(importer string) bool
}

var rules = []rule{
	{
		name:    "only main imports Wails",
		target:  func(i string) bool { return under(i, "github.com/wailsapp") },
		allowed: func(p string) bool { return p == "motcua" },
	},
	{
		name:    "only app/store imports Badger",
		target:  func(i string) bool { return under(i, "github.com/dgraph-io/badger/v4") },
		allowed: func(p string) bool { return p == "motcua/app/store" },
	},
	{
		name: "only the scanning adapters use cgo engines",
		target: func(i string) bool {
			return under(i, "github.com/gen2brain/go-fitz") || under(i, "github.com/otiai10/gosseract/v2")
		},
		allowed: func(p string) bool { return p == "motcua/scanning/fitz" || p == "motcua/scanning/tesseract" },
	},
	{
		name:    "only the composition root imports the API",
		target:  func(i string) bool { return i == "motcua/app/api" },
		allowed: func(p string) bool { return p == "motcua/app/cli" },
	},
	{
		name:    "only main imports the command line",
		target:  func(i string) bool { return i == "motcua/app/cli" },
		allowed: func(p string) bool { return p == "motcua" },
	},
	{
		name:    "nothing imports main",
		target:  func(i string) bool { return i == "motcua" },
		allowed: func(string) bool { return false },
	},
}

// leaves may import only the standard library, golang.org/x/text and the
// listed motcua packages: they are the vocabulary everything else shares.
var leaves = map[string][]string{
	"motcua/sync/wire":    {},
	"motcua/app/vntext":   {},
	"motcua/app/calendar": {},
	"motcua/app/catalog":  {"motcua/app/vntext", "motcua/app/dossier", "motcua/app/calendar"},
	"motcua/app/dossier":  {"motcua/app/vntext", "motcua/app/calendar"},
	"motcua/app/forms":    {},
}

func TestImportRules(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, imp := range p.Imports {
			for _, r := range rules {
				if r.target(imp) && !r.allowed(p.ImportPath) {
					t.Errorf("%s: %s imports %s", r.name, p.ImportPath, imp)
				}
			}
		}
		allowedOwn, isLeaf := leaves[p.ImportPath]
		if !isLeaf {
			continue
		}
		for _, imp := range p.Imports {
			switch {
			case under(imp, "motcua"):
				ok := false
				for _, a := range allowedOwn {
					ok = ok || imp == a
				}
				if !ok {
					t.Errorf("leaf %s imports project package %s", p.ImportPath, imp)
				}
			case p.ImportPath == "motcua/sync/wire" && !isStd(imp):
				t.Errorf("sync/wire must use only the standard library, imports %s", imp)
			case p.ImportPath != "motcua/app/forms" && !isStd(imp) && !under(imp, "golang.org/x/text"):
				t.Errorf("leaf %s imports third-party %s", p.ImportPath, imp)
			}
		}
	}
}

// A package named sync directly under the module would shadow the standard
// library's in every reader's head.
func TestNoGoFilesDirectlyInSync(t *testing.T) {
	matches, _ := filepath.Glob("../../sync/*.go")
	if len(matches) > 0 {
		t.Fatalf("Go files directly in sync/: %v", matches)
	}
}

// Only main.go may mention Wails, even in files excluded by build tags.
func TestWailsOnlyInMain(t *testing.T) {
	root := "../.."
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git" || d.Name() == "frontend") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "main.go" {
			return nil
		}
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(`"github.com/wailsapp/`)) {
			t.Errorf("%s imports Wails", rel)
		}
		return nil
	})
}
