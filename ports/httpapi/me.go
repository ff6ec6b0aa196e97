package httpapi

import (
	"net/http"

	"github.com/userservice/userservice/app/auth"
)

// meResource is what the caller's token is: a client (the admin console)
// learns from it which actions to offer instead of offering buttons that
// would answer 403.
type meResource struct {
	TenantID    string            `json:"tenant_id"`
	TokenID     string            `json:"token_id"`
	Role        auth.Role         `json:"role"`
	Permissions []auth.Permission `json:"permissions"`
}

// knownPermissions are the permissions /v1/me reports on, in a stable order.
var knownPermissions = []auth.Permission{auth.PermReadUsers, auth.PermWriteUsers, auth.PermImport, auth.PermManageTokens}

// getMe handles GET /v1/me.
func (h *handler) getMe(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	me := meResource{TenantID: p.TenantID, TokenID: p.TokenID, Role: p.Role, Permissions: []auth.Permission{}}
	for _, perm := range knownPermissions {
		if p.Can(perm) {
			me.Permissions = append(me.Permissions, perm)
		}
	}
	hdr := http.Header{}
	hdr.Set("Cache-Control", "no-store")
	h.writeJSON(w, r, http.StatusOK, me, hdr)
	return nil
}
