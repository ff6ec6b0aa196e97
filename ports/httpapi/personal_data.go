package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// eraseUser handles POST /v1/users/{id}/erase (admin): the person's
// personal data is erased (README "Personal data"). The body is optional:
// {"basis": "gdpr_art17"}. 200 with what is left of the user (ids and
// version), X-Changed false when they were erased already.
func (h *handler) eraseUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, env, body, err := h.readCommand(w, r, p, pathUserID, true, mediaJSON)
	if err != nil {
		return err
	}
	var in struct {
		Basis string `json:"basis"`
	}
	if body != nil {
		if err := decodeObject(body, &in); err != nil {
			return err
		}
	}
	res, err := h.app.Commands.EraseUser.Handle(r.Context(), command.EraseUser{Envelope: env, UserID: id, Basis: in.Basis})
	if err != nil {
		return conditional(env, err)
	}
	// Nothing personal is left to show: 204, and whether this request erased.
	w.Header().Set(headerChanged, strconv.FormatBool(res.Changed))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// userExport is the body of GET /v1/users/{id}/export.
type userExport struct {
	ExportedAt time.Time              `json:"exported_at"`
	User       *userResource          `json:"user"`
	Events     []eventResource        `json:"events"`
	ImportRows []exportedImportRow    `json:"import_rows"`
	Notices    []query.ExportedNotice `json:"notices"`
	Commands   []exportedCommand      `json:"commands"`
}

type exportedImportRow struct {
	JobID      string    `json:"job_id"`
	Source     string    `json:"source"`
	Row        int       `json:"row"`
	Outcome    string    `json:"outcome"`
	Detail     string    `json:"detail,omitempty"`
	Failures   []string  `json:"failures,omitempty"`
	RecordedAt time.Time `json:"recorded_at"`
}

type exportedCommand struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Source     string          `json:"source"`
	Actor      string          `json:"actor"`
	Payload    json.RawMessage `json:"payload"`
	RecordedAt time.Time       `json:"recorded_at"`
}

// exportUser handles GET /v1/users/{id}/export (admin): everything the
// service holds about the person, as one JSON document.
func (h *handler) exportUser(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	id, err := pathUserID(r)
	if err != nil {
		return err
	}
	x, err := h.app.Queries.ExportUser.Handle(r.Context(), query.ExportUser{TenantID: p.TenantID, UserID: id})
	if err != nil {
		return err
	}
	out := userExport{ExportedAt: x.ExportedAt, Events: newEventList(x.Events).Events,
		ImportRows: []exportedImportRow{}, Notices: x.Notices, Commands: []exportedCommand{}}
	if out.Notices == nil {
		out.Notices = []query.ExportedNotice{}
	}
	if x.User != nil {
		u := newUserResource(*x.User)
		out.User = &u
	}
	for _, row := range x.ImportRows {
		out.ImportRows = append(out.ImportRows, exportedImportRow(row))
	}
	for _, c := range x.Commands {
		out.Commands = append(out.Commands, exportedCommand{ID: c.ID, Type: c.Type, Source: c.Source, Actor: c.Actor,
			Payload: json.RawMessage(c.Payload), RecordedAt: c.RecordedAt})
	}
	h.writeJSON(w, r, http.StatusOK, out, nil)
	return nil
}
