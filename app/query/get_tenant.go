package query

import (
	"context"
	"fmt"

	"github.com/userservice/userservice/app/errkind"
)

// GetTenant reads the caller's tenant: its name and licence seats, so an
// admin sees how many seats are used before a registration is refused.
type GetTenant struct {
	TenantID string
}

// TenantInfo is a tenant as a reader sees it.
type TenantInfo struct {
	ID        string
	Name      string
	SeatLimit int
	SeatsUsed int
}

// ErrTenantNotFound is a tenant that does not exist (its token outlived it).
var ErrTenantNotFound = errkind.New(errkind.NotFound, "not_found", "tenant not found")

// TenantReader reads tenants; a missing one is ErrTenantNotFound.
type TenantReader interface {
	TenantByID(ctx context.Context, id string) (TenantInfo, error)
}

// GetTenantHandler handles GetTenant.
type GetTenantHandler Handler[GetTenant, TenantInfo]

// getTenantHandler is GetTenantHandler built by its constructor.
type getTenantHandler struct{ tenants TenantReader }

// NewGetTenantHandler returns the GetTenant handler.
func NewGetTenantHandler(tenants TenantReader) (GetTenantHandler, error) {
	if tenants == nil {
		return nil, fmt.Errorf("NewGetTenantHandler: nil reader")
	}
	return getTenantHandler{tenants: tenants}, nil
}

// Handle returns the tenant or ErrTenantNotFound.
func (h getTenantHandler) Handle(ctx context.Context, q GetTenant) (TenantInfo, error) {
	return h.tenants.TenantByID(ctx, q.TenantID)
}
