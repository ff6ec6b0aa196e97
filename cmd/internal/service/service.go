// Package service wires the application: it builds app.Application from the
// PostgreSQL adapters, with the cross-cutting decorators applied once. Every
// entry point (the userservice roles, usersctl) builds it here, so they all
// write through the same handlers.
package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/userservice/userservice/adapters/logging"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/decorator"
	"github.com/userservice/userservice/app/query"
	"github.com/userservice/userservice/domain/user"
)

// BuildApplication returns every use case on pool with the default Options:
// imports queued on PostgreSQL, notices by webhook only, no HRIS. It is what
// the tools (usersctl, userbench) need; metrics may be nil.
func BuildApplication(pool *pgxpool.Pool, log *zap.Logger, metrics decorator.Metrics) (app.Application, error) {
	return Build(pool, Options{Logger: log, Metrics: metrics})
}

// Build returns every use case on pool, every command and query handler
// decorated once (decorate: one log line, one measurement, one span each).
func Build(pool *pgxpool.Pool, o Options) (app.Application, error) {
	if pool == nil {
		return app.Application{}, errors.New("BuildApplication: nil pool")
	}
	log, metrics := o.Logger, o.Metrics
	if log == nil {
		log = zap.NewNop()
	}
	uow, err := postgres.NewUnitOfWork(pool, logging.NewWatermill(log.Named("outbox")))
	if err != nil {
		return app.Application{}, err
	}
	uow.EncryptPersonalData(o.PersonalData)
	if o.GroupCommit != nil {
		if err := uow.EnableGroupCommit(*o.GroupCommit); err != nil {
			return app.Application{}, err
		}
	}
	users := postgres.NewUsers(pool)
	users.EncryptPersonalData(o.PersonalData)
	tenants := postgres.NewTenants(pool)
	now := time.Now

	b := builder{}
	register := build(&b, "NewRegisterUserHandler", func() (command.RegisterUserHandler, error) {
		return command.NewRegisterUserHandler(uow, newUserID)
	})
	update := build(&b, "NewUpdateUserHandler", func() (command.UpdateUserHandler, error) {
		return command.NewUpdateUserHandler(uow)
	})
	deactivate := build(&b, "NewDeactivateUserHandler", func() (command.DeactivateUserHandler, error) {
		return command.NewDeactivateUserHandler(uow)
	})
	reactivate := build(&b, "NewReactivateUserHandler", func() (command.ReactivateUserHandler, error) {
		return command.NewReactivateUserHandler(uow)
	})
	groupStore := postgres.NewGroups(pool)
	createGroup := build(&b, "NewCreateGroupHandler", func() (command.CreateGroupHandler, error) {
		return command.NewCreateGroupHandler(uow)
	})
	updateGroup := build(&b, "NewUpdateGroupHandler", func() (command.UpdateGroupHandler, error) {
		return command.NewUpdateGroupHandler(uow)
	})
	deleteGroup := build(&b, "NewDeleteGroupHandler", func() (command.DeleteGroupHandler, error) {
		return command.NewDeleteGroupHandler(uow)
	})
	groupMembers := build(&b, "NewGroupMembershipRemover", func() (*command.GroupMembershipRemover, error) {
		remove, err := command.NewRemoveDeletedMemberHandler(uow)
		if err != nil {
			return nil, err
		}
		return command.NewGroupMembershipRemover(groupStore, remove)
	})
	listUsersReader, listGroupsReader := listReaders(users, groupStore, o)
	groupQueries := build(&b, "NewGroups", func() (*query.Groups, error) { return query.NewGroups(listGroupsReader) })
	deleteUser := build(&b, "NewDeleteUserHandler", func() (command.DeleteUserHandler, error) {
		return command.NewDeleteUserHandler(uow, groupMembers)
	})
	eraseUser := build(&b, "NewEraseUserHandler", func() (command.EraseUserHandler, error) {
		return command.NewEraseUserHandler(uow, groupMembers)
	})
	createTenant := build(&b, "NewCreateTenantHandler", func() (command.CreateTenantHandler, error) {
		return command.NewCreateTenantHandler(tenants, newStringID)
	})
	issueToken := build(&b, "NewIssueTokenHandler", func() (command.IssueTokenHandler, error) {
		return command.NewIssueTokenHandler(tenants, newStringID, now)
	})
	var (
		tokens     query.TokenReader   = tenants
		tokenStore command.TenantStore = tenants
	)
	if o.TokenCacheTTL > 0 {
		cache := build(&b, "NewTokenCache", func() (*query.TokenCache, error) {
			return query.NewTokenCache(tenants, o.TokenCacheTTL, now)
		})
		tokens, tokenStore = cache, revokingStore{Tenants: tenants, cache: cache}
		if o.Lifetime != nil && cache != nil {
			go listenTokenChanges(o.Lifetime, pool, cache, log.Named("token-changes"))
		}
	}
	revokeToken := build(&b, "NewRevokeTokenHandler", func() (command.RevokeTokenHandler, error) {
		return command.NewRevokeTokenHandler(tokenStore)
	})
	getUser := build(&b, "NewGetUserHandler", func() (query.GetUserHandler, error) {
		return query.NewGetUserHandler(users)
	})
	listUsers := build(&b, "NewListUsersHandler", func() (query.ListUsersHandler, error) {
		return query.NewListUsersHandler(listUsersReader)
	})
	getEvents := build(&b, "NewGetUserEventsHandler", func() (query.GetUserEventsHandler, error) {
		return query.NewGetUserEventsHandler(users)
	})
	exportUser := build(&b, "NewExportUserHandler", func() (query.ExportUserHandler, error) {
		return query.NewExportUserHandler(users, now)
	})
	searchUsers := build(&b, "NewSearchUsersHandler", func() (query.SearchUsersHandler, error) {
		return query.NewSearchUsersHandler(listUsersReader)
	})
	getUserRecord := build(&b, "NewGetUserRecordHandler", func() (query.GetUserRecordHandler, error) {
		return query.NewGetUserRecordHandler(users)
	})
	authenticate := build(&b, "NewAuthenticateHandler", func() (query.AuthenticateHandler, error) {
		return query.NewAuthenticateHandler(tokens, now)
	})
	getTenant := build(&b, "NewGetTenantHandler", func() (query.GetTenantHandler, error) {
		return query.NewGetTenantHandler(tenants)
	})
	listTokens := build(&b, "NewListTokensHandler", func() (query.ListTokensHandler, error) {
		return query.NewListTokensHandler(tenants)
	})
	getSettings := build(&b, "NewGetNotificationSettingsHandler", func() (query.GetNotificationSettingsHandler, error) {
		return query.NewGetNotificationSettingsHandler(postgres.NewNotifications(pool))
	})
	application := app.Application{
		Commands: app.Commands{
			RegisterUser:   register,
			UpdateUser:     update,
			DeactivateUser: deactivate,
			ReactivateUser: reactivate,
			DeleteUser:     deleteUser,
			EraseUser:      eraseUser,
			CreateGroup:    createGroup,
			UpdateGroup:    updateGroup,
			DeleteGroup:    deleteGroup,
			CreateTenant:   createTenant,
			IssueToken:     issueToken,
			RevokeToken:    revokeToken,
		},
		Queries: app.Queries{
			GetUser:       getUser,
			ListUsers:     listUsers,
			GetUserEvents: getEvents,
			ExportUser:    exportUser,
			SearchUsers:   searchUsers,
			GetUserRecord: getUserRecord,
			Groups:        groupQueries,
			Authenticate:  authenticate,
			GetTenant:     getTenant,
			ListTokens:    listTokens,

			GetNotificationSettings: getSettings,
		},
	}
	buildBulk(&b, pool, o, log, &application)
	if err := errors.Join(b.errs...); err != nil {
		return app.Application{}, fmt.Errorf("build application: %w", err)
	}
	decorate(&application, decorator.Hooks{Log: log.Named("command"), Metrics: metrics, Tracer: o.Tracer},
		decorator.Hooks{Log: log.Named("query"), Metrics: metrics, Tracer: o.Tracer})
	return application, nil
}

// builder collects constructor errors so one failed wiring reports every
// broken handler, not just the first.
type builder struct{ errs []error }

func build[T any](b *builder, name string, construct func() (T, error)) T {
	v, err := construct()
	if err != nil {
		b.errs = append(b.errs, fmt.Errorf("%s: %w", name, err))
	}
	return v
}

// newUserID makes time-ordered (v7) user ids, so the users table and the
// event store index them in insertion order.
func newUserID() (user.ID, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return user.ID{}, err
	}
	return user.ID(id), nil
}

// newStringID makes v7 ids for tenants and tokens.
func newStringID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// listenTokenChanges makes the token cache forget a token the moment any
// process (or usersctl, or SQL) changes it, until ctx ends.
func listenTokenChanges(ctx context.Context, pool *pgxpool.Pool, cache *query.TokenCache, log *zap.Logger) {
	err := postgres.ListenTokenChanges(ctx, pool, cache, func(err error) {
		log.Warn("token change listener: revocations elsewhere reach this process within AUTH_TOKEN_CACHE_TTL until it reconnects", zap.Error(err))
	})
	if err != nil {
		log.Error("token change listener stopped", zap.Error(err))
	}
}

// revokingStore forgets a token in this process's cache once its revocation
// committed, so it stops working here at once (elsewhere within the TTL).
type revokingStore struct {
	*postgres.Tenants
	cache *query.TokenCache
}

func (s revokingStore) RevokeToken(ctx context.Context, tenantID, tokenID string) error {
	err := s.Tenants.RevokeToken(ctx, tenantID, tokenID)
	if err == nil && s.cache != nil {
		s.cache.Forget(tokenID)
	}
	return err
}
