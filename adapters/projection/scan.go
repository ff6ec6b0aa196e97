package projection

import "time"

// rawEvent is one events row as stored, in eventColumns order.
type rawEvent struct {
	tx, seq                  int64
	id, tenant, typ          string
	stream                   [16]byte
	version                  int32
	data                     []byte
	at                       time.Time
	cmd, corr, actor, source string
	key                      []byte
}

func (r *rawEvent) targets() []any {
	return []any{&r.tx, &r.seq, &r.id, &r.stream, &r.tenant, &r.version, &r.typ, &r.data, &r.at,
		&r.cmd, &r.corr, &r.actor, &r.source, &r.key}
}

// nullableRow is an events row that may be all NULL: the outer side of the
// LEFT JOIN in Reader.Next when no event qualifies.
type nullableRow struct {
	tx, seq                  *int64
	id, tenant, typ          *string
	stream                   *[16]byte
	version                  *int32
	data                     []byte
	at                       *time.Time
	cmd, corr, actor, source *string
	key                      []byte
}

func (r *nullableRow) targets() []any {
	return []any{&r.tx, &r.seq, &r.id, &r.stream, &r.tenant, &r.version, &r.typ, &r.data, &r.at,
		&r.cmd, &r.corr, &r.actor, &r.source, &r.key}
}

// event is the row's event; false for the all-NULL row. The columns are NOT
// NULL in the table, so one non-NULL column means all are.
func (r *nullableRow) event() (rawEvent, bool) {
	if r.tx == nil {
		return rawEvent{}, false
	}
	return rawEvent{tx: *r.tx, seq: *r.seq, id: *r.id, tenant: *r.tenant, typ: *r.typ, stream: *r.stream,
		version: *r.version, data: r.data, at: *r.at, cmd: *r.cmd, corr: *r.corr, actor: *r.actor, source: *r.source,
		key: r.key}, true
}
