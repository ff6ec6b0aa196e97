package scim

import (
	"strconv"
	"strings"
	"time"

	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// Schema and message URNs (RFC 7643, RFC 7644).
const (
	coreUserURN        = "urn:ietf:params:scim:schemas:core:2.0:User"
	enterpriseURN      = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	listResponseURN    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	searchRequestURN   = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	patchOpURN         = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	bulkRequestURN     = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkResponseURN    = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	errorURN           = "urn:ietf:params:scim:api:messages:2.0:Error"
	spConfigURN        = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	resourceTypeURN    = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaURN          = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	coreUserURNLower   = "urn:ietf:params:scim:schemas:core:2.0:user"
	enterpriseURNLower = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
)

// toResource renders a user as a SCIM User (the mapping is in the README,
// "Connect your identity provider"). Empty optional attributes are left out.
func toResource(u query.UserRecord, base string) map[string]any {
	location := base + "/Users/" + u.ID.String()
	res := map[string]any{
		"schemas":  []any{coreUserURN, enterpriseURN},
		"id":       u.ID.String(),
		"userName": u.Email,
		"name":     map[string]any{"givenName": u.GivenName, "familyName": u.FamilyName, "formatted": u.GivenName + " " + u.FamilyName},
		"active":   u.Status == user.StatusActive,
		"emails":   []any{map[string]any{"value": u.Email, "type": "work", "primary": true}},
		"meta": map[string]any{
			"resourceType": "User",
			"created":      u.Created.UTC().Format(time.RFC3339Nano),
			"lastModified": u.LastModified.UTC().Format(time.RFC3339Nano),
			"location":     location,
			"version":      etag(u.Version),
		},
	}
	for k, v := range map[string]string{"externalId": u.ExternalID, "displayName": u.DisplayName, "title": u.Title,
		"locale": u.Locale, "timezone": u.TimeZone} {
		if v != "" {
			res[k] = v
		}
	}
	ext := map[string]any{}
	if u.Department != "" {
		ext["department"] = u.Department
	}
	if u.ManagerID != "" {
		ext["manager"] = map[string]any{"value": u.ManagerID, "$ref": base + "/Users/" + u.ManagerID}
	}
	res[enterpriseURN] = ext
	return res
}

// etag is the weak entity tag of a version: SCIM clients compare it as an
// opaque string (meta.version, ETag, If-Match).
func etag(version int) string { return `W/"` + strconv.Itoa(version) + `"` }

// parseETag accepts what etag makes, and the strong form "3" too.
func parseETag(tag string) (int, bool) {
	tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, false
	}
	digits := tag[1 : len(tag)-1]
	if strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	v, err := strconv.Atoi(digits)
	return v, err == nil
}

// fields are the user attributes SCIM can write, as the domain names them.
type fields struct {
	Email, GivenName, FamilyName, DisplayName, Title, Locale, TimeZone string
	ExternalID, Department, ManagerID                                  string
	Active                                                             bool
}

func fieldsOf(u user.Snapshot) fields {
	return fields{Email: u.Email, GivenName: u.GivenName, FamilyName: u.FamilyName, DisplayName: u.DisplayName,
		Title: u.Title, Locale: u.Locale, TimeZone: u.TimeZone, ExternalID: u.ExternalID, Department: u.Department,
		ManagerID: u.ManagerID, Active: u.Status == user.StatusActive}
}

func (f fields) profile() user.Profile {
	return user.Profile{GivenName: f.GivenName, FamilyName: f.FamilyName, DisplayName: f.DisplayName,
		Department: f.Department, Title: f.Title, ManagerID: f.ManagerID, ExternalID: f.ExternalID,
		Locale: f.Locale, TimeZone: f.TimeZone}
}

func (f fields) status() user.Status {
	if f.Active {
		return user.StatusActive
	}
	return user.StatusDeactivated
}

// scimAttribute names a domain field the way a SCIM client knows it, for
// error details.
var scimAttribute = map[string]string{
	user.FieldEmail: "userName", user.FieldGivenName: "name.givenName", user.FieldFamilyName: "name.familyName",
	user.FieldDisplayName: "displayName", user.FieldTitle: "title", user.FieldLocale: "locale",
	user.FieldTimeZone: "timezone", user.FieldExternalID: "externalId", user.FieldStatus: "active",
	user.FieldDepartment: enterpriseURN + ":department", user.FieldManagerID: enterpriseURN + ":manager",
}
