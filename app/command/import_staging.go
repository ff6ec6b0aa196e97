package command

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/userservice/userservice/domain/user"
)

// ImportStaging holds an upload's rows in the database while its job is
// queued, so that nothing of the file is held in the process's memory:
// the store does what needs the whole file (in-file duplicates, each row's
// manager's row, the queue order) set-wise where the rows are.
type ImportStaging interface {
	// Stage stores the rows of a job, then marks the rows that repeat an
	// earlier row's external id or e-mail address (see StagingKeys),
	// points each row at the first row with its manager's external id, and
	// orders the rows so that a manager's row comes before its reports'.
	// It returns the number of rows, and the rows it could not order (row
	// -> its manager's row): those on a loop of managers, or reporting
	// into one.
	Stage(ctx context.Context, jobID string, rows RowReader) (total int, unordered map[int]int, err error)
	// Reject refuses staged rows that have no rejection yet.
	Reject(ctx context.Context, jobID string, rejections map[int]Failure) error
	// Each calls f with the staged rows, managers first, batch at a time.
	Each(ctx context.Context, jobID string, batch int, f func([]ImportRow) error) error
	// Drop deletes the job's staged rows.
	Drop(ctx context.Context, jobID string) error
}

// StagedRowsQueue is a staging store that also queues a job's staged rows
// itself, where they are: for the PostgreSQL import queue, one INSERT ...
// SELECT per batch of chunks from the staging table into the queue, so no
// row travels through the process between the two. It queues exactly the
// messages that Each and ImportQueue.Enqueue would (the same chunks of the
// same rows, managers first) and returns how many rows it queued. The
// wiring hands it to the import use cases only with the PostgreSQL queue.
type StagedRowsQueue interface {
	QueueStaged(ctx context.Context, job NewImportJob) (queued int, err error)
}

// StagingKeys are the keys the import matches a row by: its external id
// and e-mail address as the import normalises them, its manager's external
// id, and whether the row takes part in the file's checks at all (a row
// refused before staging, or one that is not an upsert, does not).
func StagingKeys(r ImportRow) (ext, email, manager string, eligible bool) {
	return strings.TrimSpace(r.Fields[ColExternalID]), user.NormalizeEmail(r.Fields[ColEmail]),
		strings.TrimSpace(r.Fields[ColManagerExternalID]), r.Rejection == nil && (r.Kind == "" || r.Kind == RowUpsert)
}

// The rejection of the rows of a group sharing an external id or e-mail
// address (code duplicate_row, field external_id or email): EVERY row of
// the group is rejected, the first one too, and each lists the group.
// Which of several rows for one key is the person is not for an import to
// guess (an HR export reuses worker ids for different people), and rows
// are not applied in file order. The messages are formats with two %s: the
// group's first rows and its size (the staging store fills them in where
// the rows are).
const (
	DuplicateCode                = "duplicate_row"
	DuplicateExternalIDMessage   = "rows %s (%s in all) have the same external id: none of them is imported"
	DuplicateEmailAddressMessage = "rows %s (%s in all) have the same e-mail address: none of them is imported"
)

// loopRowsNamed is how many of a loop's rows its failure message names.
const loopRowsNamed = 5

// managerLoops finds the loops of managers among rows that could not be
// ordered (each row -> its manager's row) and refuses every row on one,
// each with a message of bounded size: the loop's length and its first
// rows. Rows reporting into a loop are left alone (their manager's row is
// refused, so they are too, when applied). Linear in the rows.
func managerLoops(unordered map[int]int) map[int]Failure {
	const (
		unseen = iota
		onPath
		done
	)
	state := make(map[int]uint8, len(unordered))
	out := map[int]Failure{}
	for _, start := range slices.Sorted(mapKeys(unordered)) {
		var path []int
		row := start
		for state[row] == unseen {
			next, ok := unordered[row]
			if !ok {
				break
			}
			state[row] = onPath
			path = append(path, row)
			row = next
		}
		if state[row] == onPath && row != path[len(path)-1] {
			// (A row naming itself is refused as a self reference.)
			loop := path[slices.Index(path, row):]
			first := slices.Clone(loop)
			slices.Sort(first)
			first = first[:min(len(first), loopRowsNamed)]
			for _, r := range loop {
				out[r] = loopFailure(r, len(loop), first)
			}
		}
		for _, r := range path {
			state[r] = done
		}
	}
	return out
}

func loopFailure(row, size int, first []int) Failure {
	msg := fmt.Sprintf("rows %v name each other as managers", first)
	if size > len(first) {
		msg = fmt.Sprintf("row %d is on a loop of %d rows that name each other as managers (the first: rows %v, ...)", row, size, first)
	}
	return Failure{Row: row, Field: ColManagerExternalID, Code: "manager_cycle", Message: msg}
}

func mapKeys(m map[int]int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
