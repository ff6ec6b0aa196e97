package command

import (
	"fmt"
	"slices"
	"strings"

	"github.com/userservice/userservice/domain/user"
)

// rowIndex knows, for one job, the first row of each external id and e-mail
// address. It holds two row numbers per row, not the rows, so a large file
// is indexed in little memory.
type rowIndex struct {
	byExternalID map[string]int
	byEmail      map[string]int
	// managerOf is each row's manager's external id; loopOf the loop (an
	// index into loops) of each row whose managers, followed through the
	// file, lead back to it.
	managerOf map[int]string
	loopOf    map[int]int
	loops     []managerLoop
}

// managerLoop is one loop of managers in a file: its size and its first
// rows, all a failure message names, so a loop of any length costs each of
// its rows a message of bounded size.
type managerLoop struct {
	size  int
	first []int
}

// loopRowsNamed is how many of a loop's rows its failure message names.
const loopRowsNamed = 5

func (l managerLoop) message(row int) string {
	if l.size <= loopRowsNamed {
		return fmt.Sprintf("rows %v name each other as managers", l.first)
	}
	return fmt.Sprintf("row %d is on a loop of %d rows that name each other as managers (the first: rows %v, ...)",
		row, l.size, l.first)
}

func newRowIndex() *rowIndex {
	return &rowIndex{byExternalID: map[string]int{}, byEmail: map[string]int{}, managerOf: map[int]string{}}
}

func (x *rowIndex) add(r ImportRow) {
	if r.Rejection != nil || (r.Kind != "" && r.Kind != RowUpsert) {
		return
	}
	if ext := strings.TrimSpace(r.Fields[ColExternalID]); ext != "" {
		if _, seen := x.byExternalID[ext]; !seen {
			x.byExternalID[ext] = r.Row
		}
	}
	if email := user.NormalizeEmail(r.Fields[ColEmail]); email != "" {
		if _, seen := x.byEmail[email]; !seen {
			x.byEmail[email] = r.Row
		}
	}
	if m := strings.TrimSpace(r.Fields[ColManagerExternalID]); m != "" {
		x.managerOf[r.Row] = m
	}
}

// findCycles marks the rows on a loop of managers within the file. Such rows
// can never be imported (each waits for the next), so they are refused up
// front, which also guarantees that every other waiting row makes progress.
func (x *rowIndex) findCycles() {
	x.loopOf = map[int]int{}
	const (
		unseen = iota
		onPath
		done
	)
	state := map[int]int{}
	for start := range x.managerOf {
		var path []int
		row := start
		for row != 0 && state[row] == unseen {
			state[row] = onPath
			path = append(path, row)
			row = x.byExternalID[x.managerOf[row]]
		}
		if row != 0 && state[row] == onPath {
			loop := path[slices.Index(path, row):]
			first := slices.Clone(loop)
			slices.Sort(first)
			x.loops = append(x.loops, managerLoop{size: len(loop), first: first[:min(len(first), loopRowsNamed)]})
			for _, r := range loop {
				x.loopOf[r] = len(x.loops) - 1
			}
		}
		for _, r := range path {
			state[r] = done
		}
	}
}

// annotate rejects a row that repeats an earlier row's external id or e-mail
// address (which of two rows for one person should win is not for an import
// to guess, and processing order is not file order), and points the row at
// its manager's row.
func (x *rowIndex) annotate(r *ImportRow) {
	if r.Rejection != nil || (r.Kind != "" && r.Kind != RowUpsert) {
		return
	}
	if ext := strings.TrimSpace(r.Fields[ColExternalID]); ext != "" {
		if first := x.byExternalID[ext]; first != r.Row {
			r.Rejection = []Failure{{Row: r.Row, Field: ColExternalID, Code: "duplicate_row",
				Message: fmt.Sprintf("row %d has the same external id", first)}}
			return
		}
	}
	if email := user.NormalizeEmail(r.Fields[ColEmail]); email != "" {
		if first := x.byEmail[email]; first != r.Row {
			r.Rejection = []Failure{{Row: r.Row, Field: ColEmail, Code: "duplicate_row",
				Message: fmt.Sprintf("row %d has the same e-mail address", first)}}
			return
		}
	}
	if x.loopOf == nil {
		x.findCycles()
	}
	if i, ok := x.loopOf[r.Row]; ok && x.loops[i].size > 1 {
		r.Rejection = []Failure{{Row: r.Row, Field: ColManagerExternalID, Code: "manager_cycle", Message: x.loops[i].message(r.Row)}}
		return
	}
	if m := strings.TrimSpace(r.Fields[ColManagerExternalID]); m != "" {
		r.ManagerRow = x.byExternalID[m]
	}
}
