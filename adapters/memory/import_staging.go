package memory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/userservice/userservice/app/command"
)

// stagedRow is one staged row with what the checks found.
type stagedRow struct {
	row                 command.ImportRow
	ext, email, manager string
	eligible            bool
	rejection           []command.Failure // set by the checks or Reject
	managerRow, level   int
	hasManagerRow       bool
}

// unorderedLevel marks a row that could not be ordered after its manager's.
const unorderedLevel = math.MaxInt32

// Stage implements command.ImportStaging, as the PostgreSQL staging table
// does: in-file duplicates refused, each row pointed at the first row with
// its manager's external id, levels below the rows without one.
func (m *Imports) Stage(ctx context.Context, jobID string, rows command.RowReader) (int, map[int]int, error) {
	var staged []*stagedRow
	for {
		r, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, nil, err
		}
		ext, email, manager, eligible := command.StagingKeys(r)
		staged = append(staged, &stagedRow{row: r, ext: ext, email: email, manager: manager, eligible: eligible})
	}
	rejectDuplicates(staged, func(r *stagedRow) string { return r.ext }, "external_id", command.DuplicateExternalIDMessage)
	rejectDuplicates(staged, func(r *stagedRow) string { return r.email }, "email", command.DuplicateEmailAddressMessage)
	unordered := orderByManager(staged)
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.staged[jobID] = append(s.staged[jobID], staged...)
	return len(staged), unordered, nil
}

// rejectDuplicates refuses every eligible row of a group sharing a key,
// naming the group's first ten rows and its size (duplicateSQL).
func rejectDuplicates(rows []*stagedRow, key func(*stagedRow) string, field, message string) {
	groups := map[string][]int{}
	for _, r := range rows {
		if k := key(r); r.eligible && k != "" {
			groups[k] = append(groups[k], r.row.Row)
		}
	}
	for _, r := range rows {
		g := groups[key(r)]
		if !r.eligible || key(r) == "" || len(g) < 2 || r.rejection != nil {
			continue
		}
		slices.Sort(g)
		named := make([]string, min(len(g), 10))
		for i := range named {
			named[i] = strconv.Itoa(g[i])
		}
		list := strings.Join(named, ", ")
		if len(g) > 10 {
			list += ", ..."
		}
		r.rejection = []command.Failure{{Row: r.row.Row, Field: field, Code: command.DuplicateCode,
			Message: fmt.Sprintf(message, list, strconv.Itoa(len(g))), Value: key(r)}}
	}
}

// orderByManager points rows at their manager's row and gives each row its
// depth below a row without one (managerRowsSQL, levelsSQL); it returns the
// rows it could not order (row -> manager's row).
func orderByManager(rows []*stagedRow) map[int]int {
	reports := pointAtManagerRows(rows)
	// Breadth first from the rows without a manager row of their own.
	var next []*stagedRow
	for _, r := range rows {
		if !r.hasManagerRow || r.managerRow == r.row.Row {
			next = append(next, reports[r.row.Row]...)
		}
	}
	for level := 1; len(next) > 0; level++ {
		var below []*stagedRow
		for _, r := range next {
			if r.level == 0 {
				r.level = level
				below = append(below, reports[r.row.Row]...)
			}
		}
		next = below
	}
	unordered := map[int]int{}
	for _, r := range rows {
		if r.hasManagerRow && r.managerRow != r.row.Row && r.level == 0 {
			r.level = unorderedLevel
			unordered[r.row.Row] = r.managerRow
		}
	}
	return unordered
}

// pointAtManagerRows points each eligible row naming a manager at the first
// eligible row with that external id, and returns each row's reports
// (itself left out).
func pointAtManagerRows(rows []*stagedRow) map[int][]*stagedRow {
	first := map[string]int{}
	for _, r := range rows {
		if f, ok := first[r.ext]; r.eligible && r.ext != "" && (!ok || r.row.Row < f) {
			first[r.ext] = r.row.Row
		}
	}
	reports := map[int][]*stagedRow{}
	for _, r := range rows {
		f, ok := first[r.manager]
		if !r.eligible || r.manager == "" || !ok {
			continue
		}
		r.managerRow, r.hasManagerRow = f, true
		if f != r.row.Row {
			reports[f] = append(reports[f], r)
		}
	}
	return reports
}

// Reject implements command.ImportStaging.
func (m *Imports) Reject(ctx context.Context, jobID string, rejections map[int]command.Failure) error {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.staged[jobID] {
		if f, ok := rejections[r.row.Row]; ok && r.rejection == nil {
			r.rejection = []command.Failure{{Row: r.row.Row, Field: f.Field, Code: f.Code, Message: command.CapText(f.Message)}}
		}
	}
	return nil
}

// Each implements command.ImportStaging: the rows by level, then row.
func (m *Imports) Each(ctx context.Context, jobID string, batch int, f func([]command.ImportRow) error) error {
	s := m.s
	s.mu.Lock()
	rows := slices.Clone(s.staged[jobID])
	s.mu.Unlock()
	slices.SortFunc(rows, func(a, b *stagedRow) int {
		return cmp.Or(cmp.Compare(a.level, b.level), cmp.Compare(a.row.Row, b.row.Row))
	})
	for chunk := range slices.Chunk(rows, batch) {
		out := make([]command.ImportRow, len(chunk))
		for i, r := range chunk {
			out[i] = r.row
			if r.rejection != nil {
				out[i].Rejection = r.rejection
			} else if r.hasManagerRow {
				out[i].ManagerRow = r.managerRow
			}
		}
		if err := f(out); err != nil {
			return err
		}
	}
	return nil
}

// Drop implements command.ImportStaging.
func (m *Imports) Drop(ctx context.Context, jobID string) error {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.staged, jobID)
	return nil
}
