package scim

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/userservice/userservice/domain/group"
	"github.com/userservice/userservice/domain/user"
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
	grp := map[string]any{
		"schemas": []any{resourceTypeURN}, "id": "Group", "name": "Group", "endpoint": "/Groups",
		"description": "A group of users of the tenant", "schema": coreGroupURN,
		"meta": map[string]any{"resourceType": "ResourceType", "location": h.base(r) + "/ResourceTypes/Group"},
	}
	if id, ok := mux.Vars(r)["id"]; ok {
		switch id {
		case "User":
			h.writeJSON(w, http.StatusOK, user, nil)
		case "Group":
			h.writeJSON(w, http.StatusOK, grp, nil)
		default:
			h.fail(w, r, &scimError{status: 404, detail: "no such resource type"})
		}
		return
	}
	h.writeJSON(w, http.StatusOK, listOf([]any{user, grp}), nil)
}

func (h *handler) schemas(w http.ResponseWriter, r *http.Request) {
	all := []any{h.coreSchema(r), h.enterpriseSchema(r), h.groupSchema(r)}
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

func multi(a map[string]any) map[string]any { a["multiValued"] = true; return a }

func (h *handler) coreSchema(r *http.Request) map[string]any {
	rw := "readWrite"
	typed := func(name, desc string, required bool) map[string]any {
		return multi(attribute(name, "complex", false, false, rw, "none", desc,
			attribute("value", "string", required, false, rw, "none", "The value"),
			attribute("type", "string", false, false, rw, "none", "A label such as work, home, mobile (stored lower-case)"),
			attribute("primary", "boolean", false, false, rw, "none", "At most one value is primary")))
	}
	text := func(name, desc string, max int) map[string]any {
		return attribute(name, "string", false, false, rw, "none", fmt.Sprintf("%s (at most %d characters)", desc, max))
	}
	return map[string]any{
		"schemas": []any{schemaURN}, "id": coreUserURN, "name": "User", "description": "User account",
		"attributes": []any{
			attribute("id", "string", false, true, "readOnly", "server", "Assigned by the service (a UUID)"),
			attribute("externalId", "string", false, true, rw, "server", "The client's id of the user; unique in the tenant (at most 128 characters)"),
			attribute("userName", "string", true, false, rw, "server",
				"Unique in the tenant, case-insensitive (at most 256 characters); need not be an e-mail address"),
			attribute("name", "complex", false, false, rw, "none", "The user's name; every part optional",
				text("givenName", "Given name", user.MaxNameLen), text("familyName", "Family name", user.MaxNameLen),
				text("middleName", "Middle name", user.MaxNameLen), text("honorificPrefix", "e.g. Ms.", user.MaxNameLen),
				text("honorificSuffix", "e.g. III", user.MaxNameLen), text("formatted", "The full name", user.MaxDisplayLen)),
			text("displayName", "Name to display", user.MaxDisplayLen),
			text("nickName", "Casual name", user.MaxNameLen),
			text("profileUrl", "URL of the user's profile", user.MaxURLLen),
			text("title", "Job title", user.MaxAttributeLen),
			text("userType", "e.g. Employee, Contractor", user.MaxAttributeLen),
			text("preferredLanguage", "As Accept-Language, e.g. en-GB", user.MaxAttributeLen),
			attribute("locale", "string", false, false, rw, "none", "BCP 47 language tag, e.g. en-GB (en_GB accepted)"),
			attribute("timezone", "string", false, false, rw, "none", "IANA time zone, e.g. Europe/Berlin"),
			attribute("active", "boolean", false, false, rw, "none", "false: deactivated (keeps the user, frees the seat)"),
			typed("emails", "E-mail addresses (at most 10); one is required. The primary one (else the first) is unique in the tenant", true),
			typed("phoneNumbers", "Phone numbers (at most 10, 64 characters each)", true),
			multi(attribute("addresses", "complex", false, false, rw, "none", "Postal addresses (at most 5)",
				attribute("type", "string", false, false, rw, "none", "e.g. work, home"),
				text("formatted", "The whole address; may span lines", user.MaxFormattedLen),
				text("streetAddress", "Street; may span lines", user.MaxAddressLen),
				text("locality", "City", user.MaxAddressLen), text("region", "State or region", user.MaxAddressLen),
				text("postalCode", "Postal code", user.MaxAddressLen), text("country", "Country", user.MaxAddressLen),
				attribute("primary", "boolean", false, false, rw, "none", "At most one address is primary"))),
			multi(attribute("groups", "complex", false, false, "readOnly", "none",
				"The groups the user is a member of; change them through /Groups",
				attribute("value", "string", false, true, "readOnly", "none", "The group's id"),
				attribute("$ref", "reference", false, true, "readOnly", "none", "The group's URI"),
				attribute("display", "string", false, false, "readOnly", "none", "The group's displayName"))),
		},
		"meta": map[string]any{"resourceType": "Schema", "location": h.base(r) + "/Schemas/" + coreUserURN},
	}
}

func (h *handler) enterpriseSchema(r *http.Request) map[string]any {
	rw := "readWrite"
	text := func(name, desc string) map[string]any {
		return attribute(name, "string", false, false, rw, "none", fmt.Sprintf("%s (at most %d characters)", desc, user.MaxAttributeLen))
	}
	return map[string]any{
		"schemas": []any{schemaURN}, "id": enterpriseURN, "name": "EnterpriseUser", "description": "Enterprise User",
		"attributes": []any{
			text("employeeNumber", "Employee number"),
			text("costCenter", "Cost center"),
			text("organization", "Organization"),
			text("division", "Division"),
			text("department", "Department"),
			attribute("manager", "complex", false, false, rw, "none", "The user's manager, a user of the same tenant",
				attribute("value", "string", false, true, rw, "none", "The manager's id"),
				attribute("$ref", "reference", false, true, "readOnly", "none", "The manager's URI")),
		},
		"meta": map[string]any{"resourceType": "Schema", "location": h.base(r) + "/Schemas/" + enterpriseURN},
	}
}

func (h *handler) groupSchema(r *http.Request) map[string]any {
	rw := "readWrite"
	return map[string]any{
		"schemas": []any{schemaURN}, "id": coreGroupURN, "name": "Group", "description": "Group",
		"attributes": []any{
			attribute("id", "string", false, true, "readOnly", "server", "Assigned by the service (a UUID)"),
			attribute("externalId", "string", false, true, rw, "server", "The client's id of the group; unique in the tenant (at most 128 characters)"),
			attribute("displayName", "string", true, false, rw, "none", fmt.Sprintf("The group's name (at most %d characters)", group.MaxDisplayNameLen)),
			multi(attribute("members", "complex", false, false, rw, "none",
				fmt.Sprintf("The member users (at most %d; at most %d added or removed by one request)", group.MaxMembers, group.MaxMembersPerChange),
				attribute("value", "string", false, true, "immutable", "none", "The user's id"),
				attribute("$ref", "reference", false, true, "readOnly", "none", "The user's URI"),
				attribute("display", "string", false, false, "readOnly", "none", "The user's display name"),
				attribute("type", "string", false, false, "readOnly", "none", "Always User"))),
		},
		"meta": map[string]any{"resourceType": "Schema", "location": h.base(r) + "/Schemas/" + coreGroupURN},
	}
}
