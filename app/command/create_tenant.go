package command

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Tenant is a customer organisation and its licence-seat limit.
type Tenant struct {
	ID    string
	Name  string
	Seats int
}

// CreateTenant registers a customer organisation.
type CreateTenant struct {
	Name  string
	Seats int
}

// TenantStore persists tenants and tokens (not event-sourced: they are
// configuration, not the users' history).
type TenantStore interface {
	CreateTenant(ctx context.Context, t Tenant) error
	CreateToken(ctx context.Context, t Token) error
	RevokeToken(ctx context.Context, tenantID, tokenID string) error
}

// CreateTenantHandler handles CreateTenant.
type CreateTenantHandler Handler[CreateTenant, Tenant]

// createTenantHandler is CreateTenantHandler built by its constructor.
type createTenantHandler struct {
	store TenantStore
	newID func() (string, error)
}

// NewCreateTenantHandler returns the CreateTenant handler.
func NewCreateTenantHandler(store TenantStore, newID func() (string, error)) (CreateTenantHandler, error) {
	if store == nil || newID == nil {
		return nil, fmt.Errorf("NewCreateTenantHandler: nil dependency")
	}
	return createTenantHandler{store: store, newID: newID}, nil
}

// Handle validates and stores the tenant, returning it with its new id.
func (h createTenantHandler) Handle(ctx context.Context, cmd CreateTenant) (Tenant, error) {
	name := strings.TrimSpace(cmd.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return Tenant{}, fmt.Errorf("tenant name must be 1 to 200 characters")
	}
	if cmd.Seats < 0 {
		return Tenant{}, fmt.Errorf("seats must be zero or more, got %d", cmd.Seats)
	}
	id, err := h.newID()
	if err != nil {
		return Tenant{}, err
	}
	t := Tenant{ID: id, Name: name, Seats: cmd.Seats}
	if err := h.store.CreateTenant(ctx, t); err != nil {
		return Tenant{}, err
	}
	return t, nil
}
