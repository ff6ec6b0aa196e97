package messages

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/userservice/userservice/app/command"
)

// FuzzDecodeRowMessage feeds arbitrary payloads to the importer's decoder,
// seeded with messages the publisher writes for real rows (CSV, HRIS, a
// rejected row, a deactivation). It must not panic, must refuse only with
// errUndecodable (the router parks such a message instead of looping on it),
// and a decoded row must encode to a message that decodes to the same row.
func FuzzDecodeRowMessage(f *testing.F) {
	job, tenant := "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
	for _, r := range []command.ImportUserRow{
		{JobID: job, TenantID: tenant, Source: "csv", ImportRow: command.ImportRow{Row: 2, Kind: "upsert",
			Fields: map[string]string{"external_id": "E1", "email": "ada@example.com", "given_name": "Ada", "family_name": "Lovelace",
				"manager_external_id": "E5"}, ManagerRow: 6}},
		{JobID: job, TenantID: tenant, Source: "hris", ImportRow: command.ImportRow{Row: 7, Kind: "deactivate",
			Fields: map[string]string{"external_id": "E9"}, SourceModifiedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}, Deferrals: 3},
		{JobID: job, TenantID: tenant, Source: "csv", ImportRow: command.ImportRow{Row: 10,
			Rejection: []command.Failure{{Row: 10, Code: "malformed_row", Message: "has 2 fields where the header has 9"}}}},
	} {
		msg, err := encodeRow(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(msg.Payload))
	}
	f.Add([]byte(`{"v":2,"job_id":"j","tenant_id":"t","row":1}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		row, err := decodeRow(message.NewMessage("fuzz", payload))
		if err != nil {
			if !errors.Is(err, errUndecodable) {
				t.Fatalf("refusal %v is not errUndecodable", err)
			}
			return
		}
		if row.JobID == "" || row.TenantID == "" || row.Row <= 0 {
			t.Fatalf("decoded an incomplete row %+v", row)
		}
		msg, err := encodeRow(row)
		if err != nil {
			t.Fatalf("encodeRow(%+v): %v", row, err)
		}
		again, err := decodeRow(msg)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", msg.Payload, err)
		}
		if !reflect.DeepEqual(normalise(again), normalise(row)) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", again, row)
		}
	})
}

// normalise drops what the JSON form cannot tell apart: an empty map or list
// and none, and a time's location.
func normalise(r command.ImportUserRow) command.ImportUserRow {
	if len(r.Fields) == 0 {
		r.Fields = nil
	}
	if len(r.Rejection) == 0 {
		r.Rejection = nil
	}
	r.SourceModifiedAt = r.SourceModifiedAt.UTC()
	return r
}
