package scim

import (
	"strconv"
	"testing"
)

// run drives a plan to its end; fail says which operations fail when run.
func runPlan(p *bulkPlan, fail map[int]bool) (order []int, brokenOps []int, ran []bool) {
	ran = make([]bool, len(p.ops))
	for {
		i, broken, ok := p.next()
		if !ok {
			return order, brokenOps, ran
		}
		ran[i] = true
		if broken {
			brokenOps = append(brokenOps, i)
			p.done(i, false)
			continue
		}
		order = append(order, i)
		p.done(i, !fail[i])
	}
}

// TestBulkPlanIsLinearInChains orders a 1,000-operation bulkId chain given
// last-first: every operation runs after the one it refers to, and the plan
// takes a number of steps linear in the operations (the old rounds examined
// every waiting operation per round: ~500,000 steps here).
func TestBulkPlanIsLinearInChains(t *testing.T) {
	const n = 1000
	ops := make([]bulkOp, n)
	for i := range ops {
		ops[i] = bulkOp{index: i, method: "POST", bulkID: "b" + strconv.Itoa(i), path: "/Users"}
		if i < n-1 {
			ops[i].data = map[string]any{"manager": map[string]any{"value": "bulkId:b" + strconv.Itoa(i+1)}}
		}
	}
	p := newBulkPlan(ops)
	order, broken, _ := runPlan(p, nil)
	if len(order) != n || len(broken) != 0 {
		t.Fatalf("%d ran, %d broken; want %d and 0", len(order), len(broken), n)
	}
	for k, i := range order {
		if i != n-1-k {
			t.Fatalf("step %d ran operation %d, want %d", k, i, n-1-k)
		}
	}
	if p.examined > 3*n {
		t.Errorf("the plan took %d steps for %d operations, want at most %d", p.examined, n, 3*n)
	}
}

func TestBulkPlanFailuresAndCircles(t *testing.T) {
	ops := []bulkOp{
		{index: 0, method: "POST", bulkID: "a", path: "/Users"},
		{index: 1, method: "PATCH", path: "/Users/bulkId:a", data: map[string]any{}},
		{index: 2, method: "POST", bulkID: "b", path: "/Users", data: map[string]any{"x": "bulkId:a"}},
		{index: 3, method: "PATCH", path: "/Users/bulkId:b", data: map[string]any{}},
		{index: 4, method: "POST", bulkID: "c", path: "/Users", data: map[string]any{"x": "bulkId:d"}},
		{index: 5, method: "POST", bulkID: "d", path: "/Users", data: map[string]any{"x": "bulkId:c"}},
	}
	p := newBulkPlan(ops)
	order, broken, ran := runPlan(p, map[int]bool{0: true})
	if len(order) != 1 || order[0] != 0 {
		t.Errorf("ran %v, want only operation 0", order)
	}
	if len(broken) != 3 { // 1 and 2 refer to a; 3 to b, which failed with them
		t.Errorf("broken %v, want 1, 2 and 3", broken)
	}
	if circle := p.unfinished(ran); len(circle) != 2 || circle[0] != 4 || circle[1] != 5 {
		t.Errorf("unfinished %v, want the circle 4, 5", circle)
	}
}
