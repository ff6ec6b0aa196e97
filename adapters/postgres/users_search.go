package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// SearchUsers implements query.UserSearcher: the filter becomes a WHERE
// clause whose values are all bind parameters, the page is OFFSET/LIMIT in
// creation order (created_at, then id: stable while users are added, since a
// new user sorts last), and the total is counted with the same clause.
func (r *Users) SearchUsers(ctx context.Context, q query.SearchUsers) (query.SearchResult, error) {
	w := &whereBuilder{args: []any{q.TenantID}}
	cond := "TRUE"
	if q.Filter != nil {
		var err error
		if cond, err = w.filter(q.Filter); err != nil {
			return query.SearchResult{}, err
		}
	}
	where := ` FROM users WHERE tenant_id = $1 AND status <> 'deleted' AND (` + cond + `)`
	var res query.SearchResult
	b := &pgx.Batch{}
	b.Queue(`SELECT count(*)`+where, w.args...).QueryRow(func(row pgx.Row) error { return row.Scan(&res.Total) })
	if q.Limit > 0 {
		page := append(append([]any{}, w.args...), q.Offset, q.Limit)
		n := len(w.args)
		b.Queue(`SELECT `+userRowSelect+where+` ORDER BY created_at, id OFFSET $`+
			strconv.Itoa(n+1)+` LIMIT $`+strconv.Itoa(n+2), page...).Query(func(rows pgx.Rows) error {
			var err error
			res.Users, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (query.UserRecord, error) {
				u, err := scanUserRow(row)
				return query.UserRecord{Snapshot: u.Snapshot, Created: u.CreatedAt, LastModified: u.UpdatedAt}, err
			})
			return err
		})
	}
	if err := r.pool.SendBatch(ctx, b).Close(); err != nil {
		return query.SearchResult{}, fmt.Errorf("search users: %w", err)
	}
	return res, nil
}

// whereBuilder turns a query.Filter into SQL text that names columns and
// operators only, collecting every value as a bind parameter.
type whereBuilder struct{ args []any }

func (w *whereBuilder) param(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

func (w *whereBuilder) filter(f query.Filter) (string, error) {
	switch f := f.(type) {
	case query.Const:
		if f {
			return "TRUE", nil
		}
		return "FALSE", nil
	case query.And:
		return w.binary(f.Left, f.Right, "AND")
	case query.Or:
		return w.binary(f.Left, f.Right, "OR")
	case query.Not:
		inner, err := w.filter(f.Inner)
		return "NOT (" + inner + ")", err
	case query.Present:
		col, ok := searchColumns[f.Attr]
		if !ok {
			return "", fmt.Errorf("%w: unknown attribute %q", query.ErrInvalidQuery, f.Attr)
		}
		if col.time {
			return "TRUE", nil
		}
		return col.expr + ` <> ''`, nil
	case query.Compare:
		return w.compare(f)
	}
	return "", fmt.Errorf("%w: unknown filter node %T", query.ErrInvalidQuery, f)
}

func (w *whereBuilder) binary(l, r query.Filter, op string) (string, error) {
	left, err := w.filter(l)
	if err != nil {
		return "", err
	}
	right, err := w.filter(r)
	if err != nil {
		return "", err
	}
	return "(" + left + ") " + op + " (" + right + ")", nil
}

// searchColumn is how an attribute reads in SQL. Optional attributes stored
// as NULL read as "", so that NOT, ne and pr need no three-valued logic.
type searchColumn struct {
	expr string
	// raw is the bare column, for an index-friendly equality on a value
	// that is not "" (NULL never equals one).
	raw string
	// lower: stored lower-case already (e-mail), so case-insensitive
	// comparisons lower only the value and keep the index.
	lower bool
	time  bool
}

var searchColumns = map[query.Attribute]searchColumn{
	query.AttrID:    {expr: "id::text"},
	query.AttrEmail: {expr: "email", raw: "email", lower: true},
	// The expression of users_tenant_username_key: lower(...) = lower($n)
	// is answered from that index.
	query.AttrUsername: {expr: "(CASE WHEN username = '' THEN email ELSE username END)"},
	// The primary address's type, from the attributes column (no list
	// there: the one address has none).
	query.AttrEmailType: {expr: "coalesce((SELECT e->>'type' FROM jsonb_array_elements(attributes->'emails') e " +
		"WHERE e->>'primary' = 'true' LIMIT 1), '')"},
	query.AttrExternalID:  {expr: "coalesce(external_id, '')", raw: "external_id"},
	query.AttrGivenName:   {expr: "given_name"},
	query.AttrFamilyName:  {expr: "family_name"},
	query.AttrDisplayName: {expr: "display_name"},
	query.AttrDepartment:  {expr: "department"},
	query.AttrTitle:       {expr: "title"},
	query.AttrManagerID:   {expr: "coalesce(manager_id::text, '')"},
	query.AttrLocale:      {expr: "locale"},
	query.AttrTimeZone:    {expr: "time_zone"},
	query.AttrStatus:      {expr: "status"},
	query.AttrCreated:     {expr: "created_at", time: true},
	query.AttrUpdated:     {expr: "updated_at", time: true},
}

var comparisons = map[query.Op]string{query.OpEq: "=", query.OpNe: "<>", query.OpGt: ">", query.OpGe: ">=",
	query.OpLt: "<", query.OpLe: "<="}

func (w *whereBuilder) compare(c query.Compare) (string, error) {
	col, ok := searchColumns[c.Attr]
	if !ok {
		return "", fmt.Errorf("%w: unknown attribute %q", query.ErrInvalidQuery, c.Attr)
	}
	if c.Attr == query.AttrID && (c.Op == query.OpEq || c.Op == query.OpNe) {
		// By the primary key; a value that is no UUID matches no user.
		s, _ := c.Value.(string)
		id, err := user.ParseID(s)
		switch {
		case err != nil && c.Op == query.OpEq:
			return "FALSE", nil
		case err != nil:
			return "TRUE", nil
		}
		return "id " + comparisons[c.Op] + " " + w.param([16]byte(id)), nil
	}
	if col.time {
		return col.expr + " " + comparisons[c.Op] + " " + w.param(c.Value), nil
	}
	s, ok := c.Value.(string)
	if !ok {
		return "", fmt.Errorf("%w: %s takes text", query.ErrInvalidQuery, c.Attr)
	}
	left, right := col.expr, w.param(s)
	if c.Op == query.OpEq && col.raw != "" && s != "" {
		left = col.raw
	}
	if c.IgnoreCase {
		right = "lower(" + right + ")"
		if !col.lower {
			left = "lower(" + left + ")"
		}
	}
	switch c.Op {
	case query.OpContains:
		return "strpos(" + left + ", " + right + ") > 0", nil
	case query.OpStartsWith:
		return "starts_with(" + left + ", " + right + ")", nil
	case query.OpEndsWith:
		return "right(" + left + ", char_length(" + right + ")) = " + right, nil
	}
	op, ok := comparisons[c.Op]
	if !ok {
		return "", fmt.Errorf("%w: unknown operator %q", query.ErrInvalidQuery, c.Op)
	}
	return left + " " + op + " " + right, nil
}
