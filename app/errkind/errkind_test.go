package errkind_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userservice/userservice/app/errkind"
	"github.com/userservice/userservice/app/errkind/errcatalog"
)

// moduleRoot is this package's way back to the repository root.
const moduleRoot = "../.."

// declaredErrors parses every non-test Go file under the top folders (domain
// and app unless told) and returns the exported package-level Err* variables
// and *Error types, named as errcatalog names them.
func declaredErrors(t *testing.T, tops ...string) []string {
	t.Helper()
	if len(tops) == 0 {
		tops = []string{"domain", "app"}
	}
	var names []string
	errorMethods := map[string]bool{} // "<pkg>.<Type>" with an Error method
	var errorTypes []string
	for _, top := range tops {
		err := filepath.WalkDir(filepath.Join(moduleRoot, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(moduleRoot, filepath.Dir(path))
			pkg := filepath.ToSlash(rel)
			for _, decl := range f.Decls {
				if fn, ok := decl.(*ast.FuncDecl); ok && fn.Name.Name == "Error" && fn.Recv != nil {
					errorMethods[pkg+"."+receiverType(fn.Recv.List[0].Type)] = true
				}
				gen, ok := decl.(*ast.GenDecl)
				if !ok {
					continue
				}
				for _, spec := range gen.Specs {
					switch s := spec.(type) {
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() && strings.HasPrefix(n.Name, "Err") && gen.Tok == token.VAR {
								names = append(names, pkg+"."+n.Name)
							}
						}
					case *ast.TypeSpec:
						if s.Name.IsExported() && strings.HasSuffix(s.Name.Name, "Error") {
							errorTypes = append(errorTypes, pkg+"."+s.Name.Name)
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, typ := range errorTypes {
		if errorMethods[typ] { // FieldError is data, not an error
			pkg, name, _ := strings.Cut(typ, ".")
			names = append(names, pkg+".*"+name)
		}
	}
	return names
}

// receiverType names a method's receiver type without its pointer.
func receiverType(e ast.Expr) string {
	if star, ok := e.(*ast.StarExpr); ok {
		e = star.X
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// TestEveryErrorHasAKind fails for an exported error of domain/ or app/ that
// has no kind, or that errcatalog does not list (so the ports' tests would
// not see it).
func TestEveryErrorHasAKind(t *testing.T) {
	catalog := errcatalog.Errors()
	declared := declaredErrors(t)
	if len(declared) < 20 {
		t.Fatalf("found only %d declared errors: is the walk wrong?", len(declared))
	}
	seen := map[string]bool{}
	for _, name := range declared {
		seen[name] = true
		err, ok := catalog[name]
		if !ok {
			t.Errorf("%s is not in app/errkind/errcatalog: add it there (and give it a kind)", name)
			continue
		}
		k := errkind.Of(err)
		if !k.Valid() {
			t.Errorf("%s has kind %q: declare it with a kind (errkind.New, or Kind() in the domain)", name, k)
		}
		if errkind.Code(err) == "" {
			t.Errorf("%s has no code", name)
		}
		if got := errkind.Of(fmt.Errorf("handler: %w", fmt.Errorf("store: %w", err))); got != k {
			t.Errorf("%s wrapped twice has kind %q, want %q", name, got, k)
		}
	}
	for name := range catalog {
		if !seen[name] {
			t.Errorf("errcatalog lists %s, which is not declared (renamed or removed?)", name)
		}
	}
}

func TestOf(t *testing.T) {
	sentinel := errkind.New(errkind.Conflict, "taken", "value taken")
	tests := []struct {
		name string
		err  error
		want errkind.Kind
	}{
		{"nil", nil, errkind.Unknown},
		{"unclassified", errors.New("connection refused"), errkind.Unknown},
		{"sentinel", sentinel, errkind.Conflict},
		{"wrapped", fmt.Errorf("insert: %w", sentinel), errkind.Conflict},
		{"first classified in the chain wins",
			fmt.Errorf("%w: %w", errkind.New(errkind.Transient, "sync_failed", "sync failed"), sentinel), errkind.Transient},
		{"joined", errors.Join(errors.New("x"), sentinel), errkind.Conflict},
	}
	for _, tt := range tests {
		if got := errkind.Of(tt.err); got != tt.want {
			t.Errorf("%s: Of = %q, want %q", tt.name, got, tt.want)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", sentinel), sentinel) {
		t.Error("a sentinel must still compare with errors.Is")
	}
	if errkind.Code(fmt.Errorf("x: %w", sentinel)) != "taken" || errkind.Code(errors.New("x")) != "" {
		t.Error("Code reads the classified error's code")
	}
}

func TestPermanent(t *testing.T) {
	retry := map[errkind.Kind]bool{errkind.Unknown: true, errkind.Concurrency: true, errkind.Deferred: true, errkind.Transient: true}
	for _, k := range []errkind.Kind{errkind.Unknown, errkind.Invalid, errkind.Validation, errkind.Rejected,
		errkind.NotFound, errkind.Conflict, errkind.Limit, errkind.Concurrency, errkind.KeyReused,
		errkind.Unauthenticated, errkind.Forbidden, errkind.Internal, errkind.Deferred, errkind.Transient} {
		if k.Permanent() == retry[k] {
			t.Errorf("%q.Permanent() = %v", k, k.Permanent())
		}
	}
	if errkind.Kind("bogus").Valid() || errkind.Unknown.Valid() {
		t.Error("only declared kinds are valid")
	}
}
