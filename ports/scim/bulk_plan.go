package scim

// bulkPlan orders a Bulk request's operations so that each runs after the
// operations whose bulkIds it refers to, in time linear in the number of
// operations and references (Kahn's algorithm): each operation's references
// are read once, and each reference is looked at again only when the
// operation it names finishes. (Walking every waiting operation once per
// round, as before, was quadratic in the length of a bulkId chain.)
type bulkPlan struct {
	ops []bulkOp
	// waiting counts, per operation, the referenced bulkIds not created yet.
	waiting []int
	// dependents lists, per bulkId, the operations referring to it.
	dependents map[string][]int
	// ready holds operations whose references all resolved, in the order
	// they became ready (request order at the start).
	ready []int
	// broken marks operations that refer to a failed bulkId.
	broken []bool
	// examined counts scheduling steps, for the test that holds the plan linear.
	examined int
}

func newBulkPlan(ops []bulkOp) *bulkPlan {
	p := &bulkPlan{ops: ops, waiting: make([]int, len(ops)), broken: make([]bool, len(ops)),
		dependents: map[string][]int{}}
	for i, op := range ops {
		seen := map[string]bool{}
		for _, ref := range bulkRefs(op) {
			p.examined++
			if seen[ref] {
				continue
			}
			seen[ref] = true
			p.waiting[i]++
			p.dependents[ref] = append(p.dependents[ref], i)
		}
		if p.waiting[i] == 0 {
			p.ready = append(p.ready, i)
		}
	}
	return p
}

// next returns the next operation to run (broken: its references failed,
// so it fails without running), or ok false when none is ready: either all
// ran, or the rest wait on each other in a circle (see unfinished).
func (p *bulkPlan) next() (index int, broken, ok bool) {
	if len(p.ready) == 0 {
		return 0, false, false
	}
	index, p.ready = p.ready[0], p.ready[1:]
	p.examined++
	return index, p.broken[index], true
}

// done records the outcome of operation index: its dependents get one
// reference closer to ready, and fail with it when it failed.
func (p *bulkPlan) done(index int, succeeded bool) {
	id := p.ops[index].bulkID
	if id == "" {
		return
	}
	for _, d := range p.dependents[id] {
		p.examined++
		if !succeeded {
			p.broken[d] = true
		}
		if p.waiting[d]--; p.waiting[d] == 0 {
			p.ready = append(p.ready, d)
		}
	}
}

// unfinished lists the operations still waiting: their references form a
// circle (or lead into one).
func (p *bulkPlan) unfinished(ran []bool) []int {
	var out []int
	for i := range p.ops {
		if !ran[i] && p.waiting[i] > 0 {
			out = append(out, i)
		}
	}
	return out
}
