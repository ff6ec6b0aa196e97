package command

import (
	"reflect"
	"testing"
)

func TestRowIndexMarksDuplicatesCyclesAndManagerRows(t *testing.T) {
	t.Parallel()
	row := func(n int, ext, email, mgr string) ImportRow {
		f := map[string]string{ColExternalID: ext, ColEmail: email}
		if mgr != "" {
			f[ColManagerExternalID] = mgr
		}
		return ImportRow{Row: n, Fields: f}
	}
	rows := []ImportRow{
		row(2, "A", "a@example.com", "C"), // manager later in the file
		row(3, "B", "b@example.com", ""),
		row(4, "C", "c@example.com", ""),
		row(5, "A", "x@example.com", ""),  // duplicate external id
		row(6, "D", "B@Example.com", ""),  // duplicate e-mail, other spelling
		row(7, "E", "e@example.com", "F"), // E and F manage each other
		row(8, "F", "f@example.com", "E"),
		row(9, "G", "g@example.com", "E"),   // reports into the loop: waits, then fails there
		row(10, "H", "h@example.com", "ZZ"), // manager not in the file
		{Row: 11, Rejection: []Failure{{Code: "malformed_row"}}},
	}
	x := newRowIndex()
	for _, r := range rows {
		x.add(r)
	}
	type got struct {
		code       string
		managerRow int
	}
	want := map[int]got{2: {"", 4}, 3: {}, 4: {}, 5: {"duplicate_row", 0}, 6: {"duplicate_row", 0},
		7: {"manager_cycle", 0}, 8: {"manager_cycle", 0}, 9: {"", 7}, 10: {}, 11: {"malformed_row", 0}}
	for _, r := range rows {
		x.annotate(&r)
		g := got{managerRow: r.ManagerRow}
		if len(r.Rejection) > 0 {
			g.code = r.Rejection[0].Code
		}
		if !reflect.DeepEqual(g, want[r.Row]) {
			t.Errorf("row %d: %+v, want %+v (rejection %+v)", r.Row, g, want[r.Row], r.Rejection)
		}
	}
}

func TestPatchSetsOnlyTheColumnsTheRowHas(t *testing.T) {
	t.Parallel()
	p := patch(map[string]string{ColTitle: "", ColGivenName: "", ColEmail: "A@Example.com", ColStatus: "Deactivated"}, nil)
	if p.Title == nil || *p.Title != "" {
		t.Errorf("an empty optional cell must clear: %v", p.Title)
	}
	if p.GivenName != nil || p.Department != nil || p.ManagerID != nil {
		t.Errorf("empty required cells and absent columns must stay: %+v", p)
	}
	if p.Status == nil || *p.Status != "deactivated" || p.Email == nil {
		t.Errorf("status/email: %+v", p)
	}
}
