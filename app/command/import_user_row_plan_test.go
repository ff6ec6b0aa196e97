package command

import "testing"

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
