// Package app is the application layer: the use cases every port (HTTP,
// import messages, CLI, SCIM) calls. Application is the one value they receive.
package app

import (
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/app/query"
)

// Application is every use case of the service.
type Application struct {
	Commands Commands
	Queries  Queries
}

// Commands are the write use cases.
type Commands struct {
	RegisterUser   command.RegisterUserHandler
	UpdateUser     command.UpdateUserHandler
	DeactivateUser command.DeactivateUserHandler
	ReactivateUser command.ReactivateUserHandler
	DeleteUser     command.DeleteUserHandler
	// EraseUser erases a person's personal data (README "Personal data").
	EraseUser command.EraseUserHandler
	// The group use cases (a deleted user leaves their groups through
	// DeleteUser and EraseUser).
	CreateGroup command.CreateGroupHandler
	UpdateGroup command.UpdateGroupHandler
	DeleteGroup command.DeleteGroupHandler

	CreateTenant command.CreateTenantHandler
	IssueToken   command.IssueTokenHandler
	RevokeToken  command.RevokeTokenHandler

	// Bulk provisioning (imports, HRIS sync) and its notices.
	StartImport             command.StartImportHandler
	ImportUserRow           command.ImportUserRowHandler
	ImportUserRows          command.ImportUserRowsHandler
	ParkImportRow           command.ParkImportRowHandler
	RetryImport             command.RetryImportHandler
	FailStaleImports        command.FailStaleImportsHandler
	SyncHRIS                command.SyncHRISHandler
	DeliverNotification     command.DeliverNotificationHandler
	SetNotificationSettings command.SetNotificationSettingsHandler
}

// Queries are the read use cases.
type Queries struct {
	GetUser       query.GetUserHandler
	ListUsers     query.ListUsersHandler
	GetUserEvents query.GetUserEventsHandler
	// ExportUser is everything held about one person (README "Personal data").
	ExportUser query.ExportUserHandler
	// SearchUsers and GetUserRecord serve SCIM: typed filters, offset
	// paging with a total, and the users' timestamps.
	SearchUsers   query.SearchUsersHandler
	GetUserRecord query.GetUserRecordHandler
	// Groups reads groups and a user's memberships.
	Groups       *query.Groups
	Authenticate query.AuthenticateHandler
	// GetTenant and ListTokens show a tenant its seats and its tokens.
	GetTenant  query.GetTenantHandler
	ListTokens query.ListTokensHandler
	// GetNotificationSettings shows where import notices go (no secret).
	GetNotificationSettings query.GetNotificationSettingsHandler

	GetImport            query.GetImportHandler
	ListImportFailures   query.ListImportFailuresHandler
	ListParkedImportRows query.ListParkedImportRowsHandler
}
