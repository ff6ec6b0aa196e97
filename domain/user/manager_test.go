package user_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/userservice/userservice/domain/user"
)

func TestRegisterChecksManager(t *testing.T) {
	tests := []struct {
		name      string
		managerID string
		managerOf map[user.ID]user.ID // overrides the default chart where set
		failWith  error               // returned by every lookup where set
		wantErr   error
		wantAsked []user.ID
	}{
		{name: "no manager: no lookup"},
		{name: "manager exists", managerID: bossID.String(), wantAsked: []user.ID{bossID}},
		{name: "manager with a reporting line", managerID: aID.String(), wantAsked: []user.ID{aID}},
		{name: "upper-case manager id is looked up parsed", managerID: strings.ToUpper(bossID.String()), wantAsked: []user.ID{bossID}},
		{name: "manager not found", managerID: strayID.String(), wantErr: user.ErrManagerNotFound, wantAsked: []user.ID{strayID}},
		{name: "lookup failure propagated", managerID: bossID.String(), failWith: fmt.Errorf("query: %w", errReadModel), wantErr: errReadModel, wantAsked: []user.ID{bossID}},
		// The new id already sits above the manager (a stale read model or a
		// reused id): registering would close a loop.
		{name: "new id is the manager's manager", managerID: bossID.String(),
			managerOf: map[user.ID]user.ID{bossID: selfID, selfID: {}}, wantErr: user.ErrManagerCycle, wantAsked: []user.ID{bossID}},
		{name: "new id is higher up the chain", managerID: aID.String(),
			managerOf: map[user.ID]user.ID{aID: bID, bID: selfID, selfID: {}}, wantErr: user.ErrManagerCycle, wantAsked: []user.ID{aID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newOrgChart()
			if tt.managerOf != nil {
				org.managerOf = tt.managerOf
			}
			lookup := org.lookup
			if tt.failWith != nil {
				lookup = func(id user.ID) ([]user.ID, error) {
					org.asked = append(org.asked, id)
					return nil, tt.failWith
				}
			}
			p := minimalProfile()
			p.ManagerID = tt.managerID
			got, err := user.Register(selfID, tenant, user.Registration{Email: "ada@example.com", Profile: p}, lookup)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && got != nil {
				t.Errorf("events = %#v, want none", got)
			}
			if tt.wantErr == nil && len(got) != 1 {
				t.Errorf("events = %#v, want one Registered", got)
			}
			assertAsked(t, org.asked, tt.wantAsked)
		})
	}
}

// TestUpdateChecksManager works on the reporting line A -> B -> C (A reports
// to B, B to C) plus D, who has no manager.
func TestUpdateChecksManager(t *testing.T) {
	tests := []struct {
		name      string
		subject   user.ID
		manager   string
		wantErr   error
		wantCodes []string
		wantEvent []user.Event
		wantAsked []user.ID
	}{
		{name: "C reports to A closes A->B->C->A", subject: cID, manager: aID.String(), wantErr: user.ErrManagerCycle, wantAsked: []user.ID{aID}},
		{name: "C reports to B closes B->C->B", subject: cID, manager: bID.String(), wantErr: user.ErrManagerCycle, wantAsked: []user.ID{bID}},
		{name: "B reports to A closes A->B->A", subject: bID, manager: aID.String(), wantErr: user.ErrManagerCycle, wantAsked: []user.ID{aID}},
		{name: "A skips a level to C", subject: aID, manager: cID.String(), wantAsked: []user.ID{cID},
			wantEvent: []user.Event{user.ProfileChanged{Changes: map[string]user.Change{"manager_id": {Old: bID.String(), New: cID.String()}}}}},
		{name: "C gets a first manager D", subject: cID, manager: dID.String(), wantAsked: []user.ID{dID},
			wantEvent: []user.Event{user.ProfileChanged{Changes: map[string]user.Change{"manager_id": {Old: "", New: dID.String()}}}}},
		{name: "D reports to A, below the whole line", subject: dID, manager: aID.String(), wantAsked: []user.ID{aID},
			wantEvent: []user.Event{user.ProfileChanged{Changes: map[string]user.Change{"manager_id": {Old: "", New: aID.String()}}}}},
		{name: "manager not in tenant", subject: aID, manager: strayID.String(), wantErr: user.ErrManagerNotFound, wantAsked: []user.ID{strayID}},
		{name: "unchanged manager is not looked up", subject: aID, manager: bID.String()},
		{name: "clearing the manager is not looked up", subject: aID, manager: "",
			wantEvent: []user.Event{user.ProfileChanged{Changes: map[string]user.Change{"manager_id": {Old: bID.String(), New: ""}}}}},
		{name: "self as manager is rejected before any lookup", subject: cID, manager: cID.String(), wantCodes: []string{"manager_id:self_reference"}},
		{name: "malformed manager is rejected before any lookup", subject: cID, manager: "c", wantCodes: []string{"manager_id:invalid_format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			org := newOrgChart()
			p := minimalProfile()
			if m := org.managerOf[tt.subject]; !m.IsZero() {
				p.ManagerID = m.String()
			}
			u := existing(t, tt.subject, "x@example.com", p)
			got, err := u.Update(user.Patch{ManagerID: ptr(tt.manager)}, org.lookup)
			switch {
			case tt.wantCodes != nil:
				if codes := fieldCodes(t, err); strings.Join(codes, ",") != strings.Join(tt.wantCodes, ",") {
					t.Errorf("field errors = %q, want %q", codes, tt.wantCodes)
				}
			case !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil):
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if err != nil && got != nil {
				t.Errorf("events = %#v, want none with an error", got)
			}
			assertEvents(t, got, tt.wantEvent)
			assertAsked(t, org.asked, tt.wantAsked)
		})
	}
}

func TestUpdatePropagatesLookupFailure(t *testing.T) {
	u := existing(t, selfID, "ada@example.com", fullProfile())
	fail := func(user.ID) ([]user.ID, error) { return nil, fmt.Errorf("query: %w", errReadModel) }
	got, err := u.Update(user.Patch{ManagerID: ptr(otherID.String())}, fail)
	if !errors.Is(err, errReadModel) || got != nil {
		t.Errorf("Update = %#v, %v; want no events and %v", got, err, errReadModel)
	}
}
