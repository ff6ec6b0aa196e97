package csvimport

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/userservice/userservice/app/command"
)

// TestMappingCheckedBeforeAnyRow: a header that cannot create users is
// refused once, listing everything at once, the same way on every run.
func TestMappingCheckedBeforeAnyRow(t *testing.T) {
	t.Parallel()
	header := "Worker ID,First Name,Last Name,Work E-Mail,Manager Worker ID,Employment Status,Cost Centre\n"
	opts := command.ImportOptions{Mapping: map[string]string{"title": "Job Title", "department": "Dept"}}
	var first string
	for range 20 { // map iteration order must not show
		_, err := NewReader(strings.NewReader(header+"W1,Ada,L,ada@x.example,,Active,42\n"), opts)
		var me *command.ImportMappingError
		if !errors.As(err, &me) || !errors.Is(err, command.ErrInvalidImportFile) {
			t.Fatalf("err = %v, want an ImportMappingError", err)
		}
		if first == "" {
			first = err.Error()
			want := command.ImportMappingError{
				Header:    []string{"Worker ID", "First Name", "Last Name", "Work E-Mail", "Manager Worker ID", "Employment Status", "Cost Centre"},
				Unmatched: []string{"Cost Centre", "Employment Status", "First Name", "Last Name", "Manager Worker ID", "Work E-Mail", "Worker ID"},
				Problems: []string{
					`the header has neither external_id nor email (the default header is external_id,email,given_name,family_name,display_name,department,title,manager_external_id,status)`,
					`the mapping reads department from "Dept", which the header does not have`,
					`the mapping reads title from "Job Title", which the header does not have`,
				},
				Suggestions: []string{`--map email="Work E-Mail"`, `--map external_id="Worker ID"`,
					`--map family_name="Last Name"`, `--map given_name="First Name"`, `--map manager_external_id="Manager Worker ID"`,
					`--map status="Employment Status"`},
			}
			if !reflect.DeepEqual(*me, want) {
				t.Fatalf("mapping error:\n got %#v\nwant %#v", *me, want)
			}
		} else if err.Error() != first {
			t.Fatalf("message changed between runs:\n%s\n%s", first, err)
		}
	}
}

// TestValueMapsDerivationsAndUpdateOnly reads an HR export without an
// e-mail column: the address is derived from the worker id, Inactive is
// mapped, and a file's own value wins over a derived one.
func TestValueMapsDerivationsAndUpdateOnly(t *testing.T) {
	t.Parallel()
	in := "Worker ID,Work Email,Status,First\nW1,,Inactive,Ada\nW2,own@x.example,on leave,Bob\nW3,,ACTIVE,\n,,active,NoID\n"
	var opts command.ImportOptions
	opts.Mapping = map[string]string{"external_id": "Worker ID", "email": "Work Email", "given_name": "First"}
	for _, spec := range []string{"status:inactive=deactivated", "status: On Leave =active"} {
		if err := opts.ParseValueMap(spec); err != nil {
			t.Fatal(err)
		}
	}
	if err := opts.ParseDerivation("email={worker id}.{First}@corp.example{{x}}"); err != nil {
		t.Fatal(err)
	}
	got := readAll(t, in, opts)
	want := []command.ImportRow{
		{Row: 2, Fields: map[string]string{"external_id": "W1", "email": "W1.Ada@corp.example{x}", "status": "deactivated", "given_name": "Ada"}},
		{Row: 3, Fields: map[string]string{"external_id": "W2", "email": "own@x.example", "status": "active", "given_name": "Bob"}},
		{Row: 4, Fields: map[string]string{"external_id": "W3", "email": "", "status": "ACTIVE", "given_name": ""}},
		{Row: 5, Fields: map[string]string{"external_id": "", "email": "", "status": "active", "given_name": "NoID"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"email", "salary={x}", "email={", "email=}", "email={}"} {
		if err := (&command.ImportOptions{}).ParseDerivation(bad); err == nil {
			t.Errorf("derivation %q accepted", bad)
		}
	}
	for _, bad := range []string{"status", "status:=x", "salary:a=b"} {
		if err := (&command.ImportOptions{}).ParseValueMap(bad); err == nil {
			t.Errorf("value map %q accepted", bad)
		}
	}
	_, err := NewReader(strings.NewReader("Worker ID,title\nE1,x\n"), command.ImportOptions{Mapping: map[string]string{"external_id": "Worker ID"}})
	var me *command.ImportMappingError
	if !errors.As(err, &me) || !reflect.DeepEqual(me.Suggestions, []string{`--derive 'email={Worker ID}@your-domain.example'`, "--update-only"}) ||
		!reflect.DeepEqual(me.Matched, []string{"external_id=Worker ID", "title=title"}) {
		t.Fatalf("no e-mail: %v", err)
	}
	if _, err := NewReader(strings.NewReader("external_id,title\nE1,x\n"), command.ImportOptions{UpdateOnly: true}); err != nil {
		t.Fatalf("update-only file without e-mail: %v", err)
	}
	if _, err := NewReader(strings.NewReader("external_id\nE1\n"), command.ImportOptions{Derivations: map[string]string{"email": "{Nope}@x"}}); err == nil ||
		!strings.Contains(err.Error(), "names {Nope}, which the header does not have") {
		t.Fatalf("derivation of a missing header: %v", err)
	}
}
