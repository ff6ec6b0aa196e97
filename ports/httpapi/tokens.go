package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/userservice/userservice/app/auth"
	"github.com/userservice/userservice/app/command"
)

// revokeToken handles DELETE /v1/tokens/{id}: 204, or 404 for a token the
// caller's tenant does not have. An admin may revoke its own token; the next
// request with it is 401.
func (h *handler) revokeToken(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	_, err := h.app.Commands.RevokeToken.Handle(r.Context(), command.RevokeToken{TenantID: p.TenantID, TokenID: mux.Vars(r)["id"]})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
