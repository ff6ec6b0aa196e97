package postgres

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/userservice/userservice/domain/user"
)

// TestUserRowsJSONIsWhatJSONMarshalWrites: the hand-written encoding of
// the chunk's users rows decodes to what json.Marshal of the same values,
// keyed by userRowColumns, decodes to: nulls, escapes, invalid UTF-8,
// times and the attributes document included.
func TestUserRowsJSONIsWhatJSONMarshalWrites(t *testing.T) {
	at := time.Date(2026, 12, 7, 23, 59, 58, 123456789, time.UTC)
	plain := &userRow{Snapshot: user.Snapshot{ID: user.ID(uuid.New()), TenantID: uuid.NewString(), Email: "a@example.com",
		Profile: user.Profile{GivenName: "Ada", FamilyName: "Lovelace"}, Status: user.StatusActive, Version: 1}, CreatedAt: at, UpdatedAt: at}
	odd := &userRow{Snapshot: user.Snapshot{ID: user.ID(uuid.New()), TenantID: uuid.NewString(), Email: "b@example.com",
		Profile: user.Profile{GivenName: "Zoë \"Z\" <b>&</b>", FamilyName: "bad \xff utf-8", DisplayName: "tab\there\nline \u2028",
			Department: "R&D", Title: `back\slash`, ManagerID: uuid.NewString(), ExternalID: "E-1", Locale: "de-CH",
			TimeZone: "Europe/Zurich", Username: "zoe", NickName: "Z", CostCenter: "CC-9"},
		Status: user.StatusDeactivated, Version: 42}, CreatedAt: at.Add(-time.Hour), UpdatedAt: at}
	rows := []*userRow{plain, odd}
	got, err := userRowsJSON(rows)
	if err != nil {
		t.Fatal(err)
	}
	maps := make([]map[string]any, len(rows))
	for i, r := range rows {
		maps[i] = map[string]any{}
		for j, v := range r.values() {
			if id, ok := v.(user.ID); ok {
				v = id.String()
			}
			maps[i][userRowColumns[j]] = v
		}
	}
	want, err := json.Marshal(maps)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("userRowsJSON wrote invalid JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("userRowsJSON:\n%s\njson.Marshal:\n%s", got, want)
	}
}
