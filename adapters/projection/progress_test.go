package projection

import (
	"testing"
	"time"
)

// The bulk load counts its total beside the read: reports before the count
// say the total is unknown (0, no ETA), later ones carry it.
func TestMeterTotalArrivesLate(t *testing.T) {
	var got []Progress
	m := newMeter(func(p Progress) { got = append(got, p) }, 0)
	m.begin(PhaseBulk, 10, 0)
	m.add(5)
	m.setTotal(100)
	m.add(5)
	m.end()
	if len(got) != 3 {
		t.Fatalf("%d reports, want 3: %+v", len(got), got)
	}
	if p := got[0]; p.Total != 0 || p.ETA != 0 || p.Done != 15 {
		t.Errorf("before the count: %+v, want done 15, total 0, no ETA", p)
	}
	for _, p := range got[1:] {
		if p.Total != 100 || p.Done != 20 {
			t.Errorf("after the count: %+v, want done 20 of 100", p)
		}
	}
	if p := got[1]; p.Rate > 0 && p.ETA <= 0 || p.ETA > time.Hour {
		t.Errorf("after the count: ETA %s, want a positive estimate", p.ETA)
	}
}
