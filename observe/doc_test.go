package observe_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"strings"
	"testing"
)

// TestExportedNamesDocumented: every exported function, method, type,
// constant and variable of the package has a doc comment (go doc shows it).
func TestExportedNamesDocumented(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					if d.Recv != nil {
						continue // methods of unexported types are not shown
					}
					if d.Name.IsExported() && d.Doc == nil {
						t.Errorf("%s: %s has no doc comment", fset.Position(d.Pos()), d.Name.Name)
					}
				case *ast.GenDecl:
					for _, sp := range d.Specs {
						switch sp := sp.(type) {
						case *ast.TypeSpec:
							if sp.Name.IsExported() && sp.Doc == nil && d.Doc == nil {
								t.Errorf("%s: %s has no doc comment", fset.Position(sp.Pos()), sp.Name.Name)
							}
						case *ast.ValueSpec:
							for _, n := range sp.Names {
								if n.IsExported() && sp.Doc == nil && d.Doc == nil && sp.Comment == nil {
									t.Errorf("%s: %s has no doc comment", fset.Position(sp.Pos()), n.Name)
								}
							}
						}
					}
				}
			}
		}
	}
}
