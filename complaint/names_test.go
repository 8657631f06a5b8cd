package complaint_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoReferenceNamesInLogic: the lifecycle is the one source of facts
// about states and events, so no code of the module names a state or an
// event of the reference lifecycle outside its definition (vocab.go and
// lifecycle.go): the rules ask the workflow (Terminal, Escalated, a
// rule's Needs, Consent, Safety…), and so work for an extended lifecycle.
// Allowed: the events and the state that belong to the library rather
// than to the reference lifecycle (open into received, a timer's remind),
// a wording table's keys (a map literal keyed by state), tests, the test
// kits (complainttest, storetest, notifytest) and the examples.
func TestNoReferenceNamesInLogic(t *testing.T) {
	fset := token.NewFileSet()
	vocab, err := parser.ParseFile(fset, "vocab.go", nil, 0)
	require.NoError(t, err)
	reference := map[string]bool{}
	for _, d := range vocab.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
			for _, s := range g.Specs {
				v := s.(*ast.ValueSpec)
				if id, ok := v.Type.(*ast.Ident); ok && (id.Name == "State" || id.Name == "Event") {
					for _, n := range v.Names {
						reference[n.Name] = true
					}
				}
			}
		}
	}
	require.Contains(t, reference, "StateFinalAnswer", "the reference names are read from vocab.go")
	for _, library := range []string{"EventOpen", "StateReceived", "EventRemind"} {
		delete(reference, library)
	}
	skipDirs := map[string]bool{"e2e": true, "examples": true, "testdata": true, "complainttest": true, "storetest": true, "notifytest": true}
	definition := map[string]bool{filepath.Join("complaint", "vocab.go"): true, filepath.Join("complaint", "lifecycle.go"): true}

	var found []string
	root := ".."
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (skipDirs[d.Name()] || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || definition[rel] {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		inComplaint := f.Name.Name == "complaint"
		keys := map[ast.Expr]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			if kv, ok := n.(*ast.KeyValueExpr); ok {
				keys[kv.Key] = true
			}
			return true
		})
		ast.Inspect(f, func(n ast.Node) bool {
			var name string
			switch x := n.(type) {
			case *ast.SelectorExpr:
				if pkg, ok := x.X.(*ast.Ident); ok && pkg.Name == "complaint" {
					name = x.Sel.Name
				}
			case *ast.Ident:
				if inComplaint {
					name = x.Name
				}
			}
			if reference[name] && !keys[n.(ast.Expr)] {
				found = append(found, fset.Position(n.Pos()).String()+": "+name)
				return false
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	assert.Empty(t, found, "reference states and events named outside the lifecycle's definition")
}
