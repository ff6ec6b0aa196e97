package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/domain/user"
)

// purgeCommandsSQL keeps the user's recorded commands as idempotency records
// (the id, type, hash and an outcome that still decodes) but drops what
// they said about the person: the payload and the user in the outcome.
const purgeCommandsSQL = `
UPDATE commands SET payload = '{"erased": true}',
    outcome = jsonb_build_object('user', jsonb_build_object('id', outcome->'user'->'id',
        'tenant_id', outcome->'user'->'tenant_id', 'email', '', 'given_name', '', 'family_name', '',
        'status', 'deleted', 'version', outcome->'user'->'version')) ||
        CASE WHEN outcome ? 'unchanged' THEN jsonb_build_object('unchanged', outcome->'unchanged') ELSE '{}' END
WHERE tenant_id = $1 AND stream_id = $2 AND payload <> '{"erased": true}'`

// purgeImportRowsSQL drops what the import rows that named the user said
// about them. (Rows that never became this user, e.g. rejected ones, carry
// no user id: the retention purge removes their personal data.)
const purgeImportRowsSQL = `
UPDATE import_rows r SET detail = '', parked_row = NULL
FROM import_jobs j
WHERE r.user_id = $2 AND j.id = r.job_id AND j.tenant_id = $1 AND (r.detail <> '' OR r.parked_row IS NOT NULL)`

// purgeDirectorySQL empties the directory's row at once, whether or not its
// consumer runs; the row stays as a tombstone (id, version) so that a late
// event cannot bring the user back. The consumer does the same on
// user.erased.
const purgeDirectorySQL = `
UPDATE user_directory SET email = '', given_name = '', family_name = '', display_name = '', department = '',
    status = 'deleted'
WHERE tenant_id = $1 AND user_id = $2`

// purgeImportFailuresSQL empties the failures and warnings recorded on the
// rows that became the user (a row imported without its manager carries a
// warning quoting its external id and e-mail address).
const purgeImportFailuresSQL = `
UPDATE import_failures f SET message = '', value = '', external_id = '', email = ''
FROM import_rows r JOIN import_jobs j ON j.id = r.job_id
WHERE r.user_id = $2 AND j.tenant_id = $1 AND f.job_id = r.job_id AND f.row_no = r.row_no
  AND (f.message <> '' OR f.value <> '' OR f.external_id <> '' OR f.email <> '')`

// purgeImportSourceRowsSQL deletes the original rows kept (keep_rows) for
// the rows that became the user.
const purgeImportSourceRowsSQL = `
DELETE FROM import_source_rows s
USING import_rows r JOIN import_jobs j ON j.id = r.job_id
WHERE r.user_id = $2 AND j.tenant_id = $1 AND s.job_id = r.job_id AND s.row_no = r.row_no`

// queuePurgePersonalData queues the deletion of the user's data key and the
// purge of the personal data held outside the events, into the erasing
// command's write batch: the read model row is emptied by the inline
// projection (user.erased leaves a snapshot with nothing personal).
func queuePurgePersonalData(b *pgx.Batch, tenantID string, id user.ID) {
	b.Queue(`DELETE FROM user_data_keys WHERE user_id = $1`, id)
	b.Queue(purgeCommandsSQL, tenantID, id)
	b.Queue(purgeImportFailuresSQL, tenantID, id)
	b.Queue(purgeImportSourceRowsSQL, tenantID, id)
	b.Queue(purgeImportRowsSQL, tenantID, id)
	b.Queue(purgeDirectorySQL, tenantID, id)
}
