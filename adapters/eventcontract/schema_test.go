package eventcontract_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/userservice/userservice/adapters/eventcontract"
	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
)

// schemaDir holds the published JSON Schema files.
const schemaDir = "../../docs/events"

// schemaBase is the $id prefix every schema file declares.
const schemaBase = "https://userservice.example/events/"

// eventTypes are the current types: what the service publishes today.
var eventTypes = []string{user.TypeRegistered, user.TypeProfileChanged, user.TypeEmailChanged,
	user.TypeDeactivated, user.TypeReactivated, user.TypeDeleted, user.TypeErased}

// schemaTypes are the types with a data schema: the current ones and the
// superseded ones that older records of the topic still carry.
var schemaTypes = append([]string{user.TypeDeactivatedV1, user.TypeRegisteredV1, user.TypeProfileChangedV1,
	group.TypeCreated, group.TypeChanged, group.TypeMembersAdded, group.TypeMembersRemoved, group.TypeDeleted}, eventTypes...)

// schemas compiles the envelope schema and every data schema from the files,
// registered under their $id (so the envelope's relative $refs resolve to
// the sibling files), with "format" asserted.
func schemas(t *testing.T) (envelope *jsonschema.Schema, data map[string]*jsonschema.Schema) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(schemaDir, "*.schema.json"))
	if err != nil || len(files) != 1+len(schemaTypes) {
		t.Fatalf("schema files %v (%v): want the envelope and one per event type and version", files, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if want := schemaBase + filepath.Base(f); id != want {
			t.Fatalf("%s: $id %q, want %q", f, id, want)
		}
		if err := c.AddResource(id, doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	compile := func(name string) *jsonschema.Schema {
		s, err := c.Compile(schemaBase + name)
		if err != nil {
			t.Fatalf("compile %s: %v", name, err)
		}
		return s
	}
	envelope = compile("envelope.schema.json")
	data = map[string]*jsonschema.Schema{}
	for _, typ := range schemaTypes {
		data[typ] = compile(typ + ".schema.json")
	}
	return envelope, data
}

func instance(t *testing.T, raw []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not JSON: %v: %s", err, raw)
	}
	return v
}

// valid is a published-shape envelope of each type, by hand.
var valid = map[string]string{
	user.TypeRegisteredV1:     `{"tenant_id":"0190a1b2-c3d4-7e5f-8a9b-bbbbbbbbbbbb","email":"ada@example.com","given_name":"Ada","family_name":"Lovelace","department":"R&D","manager_id":"0190a1b2-c3d4-7e5f-8a9b-cccccccccccc"}`,
	user.TypeProfileChangedV1: `{"changes":{"title":{"old":"","new":"CTO"},"display_name":{"old":"Ada","new":""}}}`,
	user.TypeRegistered: `{"tenant_id":"0190a1b2-c3d4-7e5f-8a9b-bbbbbbbbbbbb","email":"ada@example.com","username":"ada.l@corp.example",` +
		`"given_name":"","family_name":"","nick_name":"Ada","employee_number":"42","emails":[{"value":"ada@example.com","type":"work","primary":true},` +
		`{"value":"ada@home.example","type":"home"}],"phone_numbers":[{"value":"+44 1","type":"mobile"}],"addresses":[{"type":"work","street_address":"1 Main St\nFloor 2","locality":"London"}]}`,
	user.TypeProfileChanged: `{"changes":{"title":{"old":"","new":"CTO"},"username":{"old":"","new":"ada"}},` +
		`"phone_numbers":{"old":null,"new":[{"value":"+1 555"}]},"emails":{"old":[{"value":"a@b.co","primary":true}],"new":[{"value":"a@b.co","primary":true},{"value":"c@d.co"}]}}`,
	user.TypeEmailChanged:  `{"old_email":"ada@example.com","new_email":"ada@example.org"}`,
	user.TypeDeactivated:   `{"cause":"requested","reason":"left the company"}`,
	user.TypeDeactivatedV1: `{"reason":"left the company"}`,
	user.TypeReactivated:   `{}`,
	user.TypeDeleted:       `{"reason":"erasure requested"}`,
	// A type from the future: the envelope schema admits it (its data is
	// only checked to be an object), so old validators do not break.
	"user.merged.v1": `{"into":"0190a1b2-c3d4-7e5f-8a9b-cccccccccccc"}`,
}

func TestSchemasAcceptTheContract(t *testing.T) {
	t.Parallel()
	envSchema, dataSchemas := schemas(t)
	for typ, data := range valid {
		if err := envSchema.Validate(instance(t, envelope(t, typ, data, nil))); err != nil {
			t.Errorf("%s: valid envelope rejected: %v", typ, err)
		}
		if s := dataSchemas[typ]; s != nil {
			if err := s.Validate(instance(t, []byte(data))); err != nil {
				t.Errorf("%s: valid data rejected: %v", typ, err)
			}
		}
	}
	// Optional attributes may be absent.
	minimal := envelope(t, user.TypeReactivated, `{}`, map[string]any{"correlationid": nil, "causationid": nil})
	if err := envSchema.Validate(instance(t, minimal)); err != nil {
		t.Errorf("envelope without optional attributes rejected: %v", err)
	}
}

func TestSchemasRejectInvalidEnvelopes(t *testing.T) {
	t.Parallel()
	envSchema, _ := schemas(t)
	reg := valid[user.TypeRegistered]
	cases := []struct {
		name    string
		typ     string
		data    string
		replace map[string]any
		// mentions is a JSON pointer or keyword the rejection must name.
		mentions string
	}{
		{"missing tenantid", user.TypeRegistered, reg, map[string]any{"tenantid": nil}, "tenantid"},
		{"snake_case extension attribute", user.TypeRegistered, reg,
			map[string]any{"tenantid": nil, "tenant_id": "0190a1b2-c3d4-7e5f-8a9b-bbbbbbbbbbbb"}, "tenant_id"},
		{"missing id", user.TypeRegistered, reg, map[string]any{"id": nil}, "id"},
		{"CloudEvents 0.3", user.TypeRegistered, reg, map[string]any{"specversion": "0.3"}, "specversion"},
		{"unversioned type", "user.registered", `{}`, nil, "type"},
		{"subject not a UUID", user.TypeRegistered, reg, map[string]any{"subject": "ada"}, "subject"},
		{"upper-case UUID", user.TypeRegistered, reg, map[string]any{"id": "0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B"}, "id"},
		{"stream version 0", user.TypeRegistered, reg, map[string]any{"streamversion": 0}, "streamversion"},
		{"stream version as a string", user.TypeRegistered, reg, map[string]any{"streamversion": "3"}, "streamversion"},
		{"time not RFC 3339", user.TypeRegistered, reg, map[string]any{"time": "2025-03-01 10:00"}, "time"},
		{"wrong content type", user.TypeRegistered, reg, map[string]any{"datacontenttype": "text/plain"}, "datacontenttype"},
		{"data as a string", user.TypeRegistered, `"eyJ9"`, nil, "data"},
		{"registered without email", user.TypeRegistered, `{"tenant_id":"0190a1b2-c3d4-7e5f-8a9b-bbbbbbbbbbbb","given_name":"A","family_name":"B"}`, nil, "email"},
		{"registered with an unknown field", user.TypeRegistered, strings.TrimSuffix(reg, "}") + `,"emails":[]}`, nil, "emails"},
		{"registered with an empty optional field", user.TypeRegistered, strings.TrimSuffix(reg, "}") + `,"title":""}`, nil, "title"},
		{"profile changed with no change", user.TypeProfileChanged, `{"changes":{}}`, nil, "changes"},
		{"profile change without old", user.TypeProfileChanged, `{"changes":{"title":{"new":"CTO"}}}`, nil, "old"},
		{"profile change of a non-profile field", user.TypeProfileChanged, `{"changes":{"status":{"old":"active","new":"x"}}}`, nil, "changes/propertyNames"},
		{"email changed without old address", user.TypeEmailChanged, `{"new_email":"a@example.com"}`, nil, "old_email"},
		{"email changed to a non-address", user.TypeEmailChanged, `{"old_email":"a@example.com","new_email":"nobody"}`, nil, "new_email"},
		{"deactivated with an empty reason", user.TypeDeactivated, `{"cause":"requested","reason":""}`, nil, "reason"},
		{"deactivated without a cause", user.TypeDeactivated, `{"reason":"left"}`, nil, "cause"},
		{"deactivated with an unknown cause", user.TypeDeactivated, `{"cause":"fired"}`, nil, "cause"},
		{"deactivated v1 with a cause", user.TypeDeactivatedV1, `{"cause":"requested"}`, nil, "cause"},
		{"deleted with an empty reason", user.TypeDeleted, `{"reason":""}`, nil, "reason"},
		{"deleted with data it does not define", user.TypeDeleted, `{"by":"admin"}`, nil, "by"},
		{"reactivated with data", user.TypeReactivated, `{"by":"admin"}`, nil, "by"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := envSchema.Validate(instance(t, envelope(t, c.typ, c.data, c.replace)))
			if err == nil {
				t.Fatal("invalid envelope accepted")
			}
			if detail := errorDetail(err); !strings.Contains(detail, c.mentions) {
				t.Errorf("rejection does not name %q:\n%s", c.mentions, detail)
			}
		})
	}
}

// errorDetail is the validation error with every cause, as JSON.
func errorDetail(err error) string {
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return err.Error()
	}
	b, _ := json.Marshal(verr.DetailedOutput())
	return string(b)
}

// TestReadmeExamplesMatchTheSchemas keeps the documented examples honest:
// every JSON block of docs/events/README.md is a valid envelope, and every
// current event type has one.
func TestReadmeExamplesMatchTheSchemas(t *testing.T) {
	t.Parallel()
	envSchema, _ := schemas(t)
	readme, err := os.ReadFile(filepath.Join(schemaDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples := map[string]int{}
	for i, block := range strings.Split(string(readme), "```json\n")[1:] {
		body, _, ok := strings.Cut(block, "```")
		if !ok {
			t.Fatalf("JSON block %d is not closed", i)
		}
		if err := envSchema.Validate(instance(t, []byte(body))); err != nil {
			t.Errorf("README example %d violates the envelope schema: %s", i, errorDetail(err))
			continue
		}
		ev, err := eventcontract.Decode([]byte(body))
		if err != nil {
			t.Errorf("README example %d: Decode: %v", i, err)
			continue
		}
		examples[ev.Type]++
	}
	for _, typ := range eventTypes {
		if examples[typ] != 1 {
			t.Errorf("README has %d examples of %s, want 1", examples[typ], typ)
		}
	}
}
