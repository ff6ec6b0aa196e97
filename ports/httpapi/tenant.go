package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// tenantResource is the caller's tenant with its licence seats.
type tenantResource struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	SeatLimit int    `json:"seat_limit"`
	SeatsUsed int    `json:"seats_used"`
}

// getTenant handles GET /v1/tenant.
func (h *handler) getTenant(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	t, err := h.app.Queries.GetTenant.Handle(r.Context(), query.GetTenant{TenantID: p.TenantID})
	if err != nil {
		return err
	}
	h.writeJSON(w, r, http.StatusOK, tenantResource{ID: t.ID, Name: t.Name, SeatLimit: t.SeatLimit, SeatsUsed: t.SeatsUsed}, nil)
	return nil
}

// tokenResource is a token without its secret. Token is set only in the
// answer to its creation: the plaintext is never stored, so never shown again.
type tokenResource struct {
	ID        string     `json:"id"`
	Role      auth.Role  `json:"role"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	Token     string     `json:"token,omitempty"`
}

// listTokens handles GET /v1/tokens.
func (h *handler) listTokens(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	tokens, err := h.app.Queries.ListTokens.Handle(r.Context(), query.ListTokens{TenantID: p.TenantID})
	if err != nil {
		return err
	}
	out := struct {
		Tokens []tokenResource `json:"tokens"`
	}{Tokens: make([]tokenResource, len(tokens))}
	for i, t := range tokens {
		created := t.CreatedAt.UTC()
		out.Tokens[i] = tokenResource{ID: t.ID, Role: t.Role, CreatedAt: &created, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt}
	}
	hdr := http.Header{}
	hdr.Set("Cache-Control", "no-store")
	h.writeJSON(w, r, http.StatusOK, out, hdr)
	return nil
}

// defaultTokenTTL is a token's lifetime when the request names none, the same
// as usersctl token create's.
const defaultTokenTTL = 720 * time.Hour

// maxTokenTTL bounds a token created over HTTP: a year, so a forgotten one
// still runs out.
const maxTokenTTL = 366 * 24 * time.Hour

// createTokenRequest is the body of POST /v1/tokens.
type createTokenRequest struct {
	Role     string `json:"role"`
	TTLHours *int   `json:"ttl_hours"`
}

// createToken handles POST /v1/tokens: 201 with the plaintext, shown once.
func (h *handler) createToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	body, err := h.readBody(w, r, false, mediaJSON)
	if err != nil {
		return err
	}
	var req createTokenRequest
	if err := decodeObject(body, &req); err != nil {
		return err
	}
	role, err := auth.ParseRole(req.Role)
	if err != nil {
		return fmt.Errorf("%w: role must be reader, importer, admin or scim", errMalformedRequest)
	}
	ttl := defaultTokenTTL
	if req.TTLHours != nil {
		// The hours are bounded before they become a Duration: 18810786 h
		// overflowed int64 nanoseconds into a "valid" TTL (a 500 found by
		// the contract run).
		if *req.TTLHours < 1 || *req.TTLHours > int(maxTokenTTL/time.Hour) {
			return fmt.Errorf("%w: ttl_hours must be 1 to %d", errMalformedRequest, int(maxTokenTTL.Hours()))
		}
		ttl = time.Duration(*req.TTLHours) * time.Hour
	}
	issued, err := h.app.Commands.IssueToken.Handle(r.Context(), command.IssueToken{TenantID: p.TenantID, Role: role, TTL: ttl})
	if err != nil {
		return err
	}
	hdr := http.Header{}
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Location", "/v1/tokens/"+issued.ID)
	h.writeJSON(w, r, http.StatusCreated, tokenResource{ID: issued.ID, Role: issued.Role, ExpiresAt: issued.ExpiresAt,
		Token: issued.Plaintext}, hdr)
	return nil
}
