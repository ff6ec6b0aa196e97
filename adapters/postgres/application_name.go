package postgres

import (
	"net/url"
	"strings"
)

// ApplicationNamePrefix starts the application_name of the service's
// connections: "userservice <role>,<role>..." (see WithApplicationName). It
// is how the importer tells the API's work apart in pg_stat_activity
// (APIActivity), and how an operator does.
const ApplicationNamePrefix = "userservice"

// WithApplicationName returns databaseURL (a URL or a key=value string)
// with application_name set to name, unless the operator set one there.
func WithApplicationName(databaseURL, name string) string {
	if strings.Contains(databaseURL, "application_name") {
		return databaseURL
	}
	if u, err := url.Parse(databaseURL); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("application_name", name)
		// (Encode writes a space as "+", which the driver keeps as a "+".)
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		return u.String()
	}
	return strings.TrimSpace(databaseURL) + " application_name='" + strings.ReplaceAll(name, "'", `\'`) + "'"
}

// RolesApplicationName is the application_name of a process running roles.
func RolesApplicationName(roles []string) string {
	return ApplicationNamePrefix + " " + strings.Join(roles, ",")
}
