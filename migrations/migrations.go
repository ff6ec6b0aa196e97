// Package migrations embeds the SQL migrations, applied in file-name order by
// `usersctl migrate` and at service start-up (see adapters/postgres.Migrate).
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
