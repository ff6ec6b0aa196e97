package scim

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// The discovery endpoints (RFC 7644 section 4) describe exactly what this
// port supports: the attributes it keeps, not the whole RFC 7643 schema. They
// hold no tenant data and need no token.

func (h *handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	h.writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []any{spConfigURN},
		"documentationUri": "https://github.com/userservice/userservice#connect-your-identity-provider",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": true, "maxOperations": maxBulkOperations, "maxPayloadSize": h.maxBody},
		"filter":           map[string]any{"supported": true, "maxResults": maxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": false},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "A token of role scim, issued with: usersctl token create --tenant <id> --role scim",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": h.base(r) + "/ServiceProviderConfig"},
	}, nil)
}

func (h *handler) resourceTypes(w http.ResponseWriter, r *http.Request) {
	user := map[string]any{
		"schemas": []any{resourceTypeURN}, "id": "User", "name": "User", "endpoint": "/Users",
		"description": "A user of the tenant", "schema": coreUserURN,
		"schemaExtensions": []any{map[string]any{"schema": enterpriseURN, "required": false}},
		"meta":             map[string]any{"resourceType": "ResourceType", "location": h.base(r) + "/ResourceTypes/User"},
	}
	if id, ok := mux.Vars(r)["id"]; ok {
		if id != "User" {
			h.fail(w, r, &scimError{status: 404, detail: "no such resource type"})
			return
		}
		h.writeJSON(w, http.StatusOK, user, nil)
		return
	}
	h.writeJSON(w, http.StatusOK, listOf([]any{user}), nil)
}

func (h *handler) schemas(w http.ResponseWriter, r *http.Request) {
	all := []any{h.coreSchema(r), h.enterpriseSchema(r)}
	if id, ok := mux.Vars(r)["id"]; ok {
		for _, s := range all {
			if strings.EqualFold(s.(map[string]any)["id"].(string), id) {
				h.writeJSON(w, http.StatusOK, s, nil)
				return
			}
		}
		h.fail(w, r, &scimError{status: 404, detail: "no such schema"})
		return
	}
	h.writeJSON(w, http.StatusOK, listOf(all), nil)
}

func listOf(items []any) map[string]any {
	return map[string]any{"schemas": []any{listResponseURN}, "totalResults": len(items), "startIndex": 1,
		"itemsPerPage": len(items), "Resources": items}
}

// attribute describes one schema attribute (RFC 7643 section 7).
func attribute(name, typ string, required, caseExact bool, mutability, uniqueness, description string, subs ...any) map[string]any {
	a := map[string]any{"name": name, "type": typ, "multiValued": false, "required": required, "caseExact": caseExact,
		"mutability": mutability, "returned": "default", "uniqueness": uniqueness, "description": description}
	if name == "id" {
		a["returned"] = "always"
	}
	if len(subs) > 0 {
		a["subAttributes"] = subs
	}
	return a
}

func (h *handler) coreSchema(r *http.Request) map[string]any {
	rw := "readWrite"
	email := attribute("emails", "complex", false, false, rw, "none",
		"The user's one e-mail address, the same as userName. type is always work and primary always true.",
		attribute("value", "string", true, false, rw, "none", "The address"),
		attribute("type", "string", false, false, "readOnly", "none", "Always work"),
		attribute("primary", "boolean", false, false, "readOnly", "none", "Always true"))
	email["multiValued"] = true
	return map[string]any{
		"schemas": []any{schemaURN}, "id": coreUserURN, "name": "User", "description": "User account",
		"attributes": []any{
			attribute("id", "string", false, true, "readOnly", "server", "Assigned by the service (a UUID)"),
			attribute("externalId", "string", false, true, rw, "server", "The client's id of the user; unique in the tenant"),
			attribute("userName", "string", true, false, rw, "server", "The user's e-mail address; unique in the tenant, case-insensitive"),
			attribute("name", "complex", true, false, rw, "none", "The user's name",
				attribute("givenName", "string", true, false, rw, "none", "Given name (required)"),
				attribute("familyName", "string", true, false, rw, "none", "Family name (required)"),
				attribute("formatted", "string", false, false, "readOnly", "none", "givenName familyName")),
			attribute("displayName", "string", false, false, rw, "none", "Name to display"),
			attribute("title", "string", false, false, rw, "none", "Job title"),
			attribute("locale", "string", false, false, rw, "none", "BCP 47 language tag, e.g. en-GB"),
			attribute("timezone", "string", false, false, rw, "none", "IANA time zone, e.g. Europe/Berlin"),
			attribute("active", "boolean", false, false, rw, "none", "false: deactivated (keeps the user, frees the seat)"),
			email,
		},
		"meta": map[string]any{"resourceType": "Schema", "location": h.base(r) + "/Schemas/" + coreUserURN},
	}
}

func (h *handler) enterpriseSchema(r *http.Request) map[string]any {
	rw := "readWrite"
	return map[string]any{
		"schemas": []any{schemaURN}, "id": enterpriseURN, "name": "EnterpriseUser", "description": "Enterprise User",
		"attributes": []any{
			attribute("department", "string", false, false, rw, "none", "Department"),
			attribute("manager", "complex", false, false, rw, "none", "The user's manager, a user of the same tenant",
				attribute("value", "string", false, true, rw, "none", "The manager's id"),
				attribute("$ref", "reference", false, true, "readOnly", "none", "The manager's URI")),
		},
		"meta": map[string]any{"resourceType": "Schema", "location": h.base(r) + "/Schemas/" + enterpriseURN},
	}
}
