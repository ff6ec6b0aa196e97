package scim

import (
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
		"userName": u.UserName(),
		"active":   u.Status == user.StatusActive,
		"meta": map[string]any{
			"resourceType": "User",
			"created":      u.Created.UTC().Format(time.RFC3339Nano),
			"lastModified": u.LastModified.UTC().Format(time.RFC3339Nano),
			"location":     location,
			"version":      etag(u.Version),
		},
	}
	setNonEmpty(res, map[string]string{"externalId": u.ExternalID, "displayName": u.DisplayName, "title": u.Title,
		"nickName": u.NickName, "profileUrl": u.ProfileURL, "userType": u.UserType,
		"preferredLanguage": u.PreferredLanguage, "locale": u.Locale, "timezone": u.TimeZone})
	name := setNonEmpty(map[string]any{}, map[string]string{"givenName": u.GivenName, "familyName": u.FamilyName,
		"middleName": u.MiddleName, "honorificPrefix": u.HonorificPrefix, "honorificSuffix": u.HonorificSuffix,
		"formatted": u.FormattedName})
	if len(name) > 0 {
		res["name"] = name
	}
	emails := []any{}
	for _, e := range u.EmailList() {
		emails = append(emails, valued(e.Value, e.Type, e.Primary))
	}
	res["emails"] = emails
	if len(u.PhoneNumbers) > 0 {
		phones := make([]any, len(u.PhoneNumbers))
		for i, p := range u.PhoneNumbers {
			phones[i] = valued(p.Value, p.Type, p.Primary)
		}
		res["phoneNumbers"] = phones
	}
	if len(u.Addresses) > 0 {
		res["addresses"] = addressesOf(u)
	}
	ext := setNonEmpty(map[string]any{}, map[string]string{"employeeNumber": u.EmployeeNumber, "costCenter": u.CostCenter,
		"organization": u.Organization, "division": u.Division, "department": u.Department})
	if u.ManagerID != "" {
		ext["manager"] = map[string]any{"value": u.ManagerID, "$ref": base + "/Users/" + u.ManagerID}
	}
	res[enterpriseURN] = ext
	return res
}

// setNonEmpty copies the values of src that are not empty into dst, and
// returns dst: SCIM leaves an unset attribute out.
func setNonEmpty(dst map[string]any, src map[string]string) map[string]any {
	for k, v := range src {
		if v != "" {
			dst[k] = v
		}
	}
	return dst
}

// addressesOf renders the user's addresses.
func addressesOf(u query.UserRecord) []any {
	addrs := make([]any, len(u.Addresses))
	for i, a := range u.Addresses {
		m := setNonEmpty(map[string]any{}, map[string]string{"type": a.Type, "formatted": a.Formatted,
			"streetAddress": a.StreetAddress, "locality": a.Locality, "region": a.Region, "postalCode": a.PostalCode,
			"country": a.Country})
		if a.Primary {
			m["primary"] = true
		}
		addrs[i] = m
	}
	return addrs
}

// valued renders an e-mail address or phone number.
func valued(value, typ string, primary bool) map[string]any {
	m := map[string]any{"value": value}
	if typ != "" {
		m["type"] = typ
	}
	if primary {
		m["primary"] = true
	}
	return m
}

// fieldsOf is a user as SCIM writes it, to apply a PATCH to.
func fieldsOf(u user.Snapshot) fields {
	f := fields{Profile: u.Profile, Active: u.Status == user.StatusActive, multi: map[string][]element{}}
	for _, e := range u.EmailList() {
		f.multi["emails"] = append(f.multi["emails"], elementOf(valued(e.Value, e.Type, e.Primary)))
	}
	for _, p := range u.PhoneNumbers {
		f.multi["phonenumbers"] = append(f.multi["phonenumbers"], elementOf(valued(p.Value, p.Type, p.Primary)))
	}
	for _, a := range u.Addresses {
		e := element{}
		for k, v := range map[string]string{"type": a.Type, "formatted": a.Formatted, "streetaddress": a.StreetAddress,
			"locality": a.Locality, "region": a.Region, "postalcode": a.PostalCode, "country": a.Country} {
			if v != "" {
				e[k] = v
			}
		}
		if a.Primary {
			e["primary"] = true
		}
		f.multi["addresses"] = append(f.multi["addresses"], e)
	}
	return f
}

func elementOf(m map[string]any) element { return element(m) }

func (f fields) status() user.Status {
	if f.Active {
		return user.StatusActive
	}
	return user.StatusDeactivated
}

// scimAttribute names a domain field the way a SCIM client knows it, for
// error details; fields of lists ("emails[1].value") are named by their list.
var scimAttribute = func() map[string]string {
	m := map[string]string{user.FieldEmail: "emails (primary)", user.FieldStatus: "active",
		user.FieldEmails: "emails", user.FieldPhoneNumbers: "phoneNumbers", user.FieldAddresses: "addresses"}
	for path, s := range scalars {
		if _, seen := m[s.field]; !seen || !strings.HasSuffix(path, ".value") {
			m[s.field] = scimSpelling(path)
		}
	}
	m[user.FieldManagerID] = enterpriseURN + ":manager"
	return m
}()

// scimSpelling turns a canonical path back into the schema's spelling.
func scimSpelling(path string) string {
	for _, name := range []string{"userName", "externalId", "displayName", "nickName", "profileUrl", "title", "userType",
		"preferredLanguage", "locale", "timezone", "name.givenName", "name.familyName", "name.middleName",
		"name.honorificPrefix", "name.honorificSuffix", "name.formatted"} {
		if strings.EqualFold(name, path) {
			return name
		}
	}
	for _, name := range []string{"employeeNumber", "costCenter", "organization", "division", "department", "manager"} {
		if strings.EqualFold(ent(name), path) {
			return enterpriseURN + ":" + name
		}
	}
	return path
}
