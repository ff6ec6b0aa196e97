package postgres

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ApplicationNamePrefix starts the application_name of the service's
// connections, "userservice <role>,<role>..." (see WithApplicationName),
// unless the operator names the service in DATABASE_URL: then that name
// is the prefix (ApplicationNamePrefixOf). It is how the importer tells the
// API's work apart in pg_stat_activity (APIActivity), and how an operator
// does.
const ApplicationNamePrefix = "userservice"

// ApplicationNamePrefixOf returns the prefix of the service's connection
// names for databaseURL: the application_name the operator set there, else
// ApplicationNamePrefix. The operator's name is kept as the prefix rather
// than as the whole name, because the importer must still find the API's
// connections by their role (with the operator's name alone it found none,
// and never gave the API priority).
func ApplicationNamePrefixOf(databaseURL string) string {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return ApplicationNamePrefix
	}
	if name := strings.TrimSpace(cfg.RuntimeParams["application_name"]); name != "" {
		return name
	}
	return ApplicationNamePrefix
}

// WithApplicationName returns databaseURL (a URL or a key=value string)
// with application_name set to name, in place of any the URL has (build
// name from ApplicationNamePrefixOf the URL to keep the operator's).
func WithApplicationName(databaseURL, name string) string {
	if u, err := url.Parse(databaseURL); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("application_name", name)
		// (Encode writes a space as "+", which the driver keeps as a "+".)
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
		return u.String()
	}
	// In a key=value string the last setting of a key wins.
	return strings.TrimSpace(databaseURL) + " application_name='" + strings.ReplaceAll(name, "'", `\'`) + "'"
}

// RolesApplicationName is the application_name of a process running roles,
// its connections prefixed with prefix.
func RolesApplicationName(prefix string, roles []string) string {
	return prefix + " " + strings.Join(roles, ",")
}

// RoleOf says which role's work a context carries (a role's own loops: the
// importer, relay, notifier, directory); ok is false for the API's
// requests, whose contexts come from the HTTP server.
type RoleOf func(ctx context.Context) (role string, ok bool)

// NameConnectionsByRole makes a pool shared by several roles name each
// connection after the work it is acquired for: "<prefix> <role>" for a
// context of a role other than the api, and the process's name (which
// lists the api role) for the rest, the API's requests. Without it, in a
// process running the api role beside others, every connection carried
// the api role's name and the importer yielded to the directory's and the
// relay's work as if it were the API's. A connection is renamed (one
// set_config round trip) only when it moves from one role's work to
// another's.
func NameConnectionsByRole(cfg *pgxpool.Config, prefix string, roles []string, roleOf RoleOf) {
	process := RolesApplicationName(prefix, roles)
	cfg.ConnConfig.RuntimeParams["application_name"] = process
	const key = "userservice.application_name"
	cfg.PrepareConn = func(ctx context.Context, conn *pgx.Conn) (bool, error) {
		want := process
		if role, ok := roleOf(ctx); ok && role != "api" {
			want = prefix + " " + role
		}
		data := conn.PgConn().CustomData()
		have, ok := data[key].(string)
		if !ok {
			have = process
		}
		if have == want {
			return true, nil
		}
		if _, err := conn.Exec(ctx, `SELECT set_config('application_name', $1, false)`, want); err != nil {
			return false, fmt.Errorf("name the connection %q: %w", want, err)
		}
		data[key] = want
		return true, nil
	}
}
