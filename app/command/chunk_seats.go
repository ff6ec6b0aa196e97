package command

import "github.com/userservice/userservice/domain/user"

// SeatSteps sums the seat changes of the plan's commands, in order: the net
// change, and the most seats taken at any point of the chunk. A chunk's
// seats fit if its busiest moment fits: then every row's own check holds on
// the count as it is now. Every ImportChunkStore writes the seats by it.
func (p ChunkPlan) SeatSteps() (net, peak int) {
	for _, r := range p.Rows {
		if r.Command == nil || r.Duplicate {
			continue
		}
		var from user.Status
		if r.Command.Current != nil {
			from = r.Command.Current.Status()
		}
		net += user.SeatDelta(from, r.Command.Events)
		peak = max(peak, net)
	}
	return net, peak
}
