package service

import (
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/app/decorator"
)

// decorate wraps every command and query handler of a, once: each call is
// traced, measured and logged by the decorator, never by the handler. A
// handler that uses another (ImportUserRow runs ImportUserRows) was given the
// undecorated one when it was built, so one call is logged once.
func decorate(a *app.Application, cmd, qry decorator.Hooks) {
	c, q := &a.Commands, &a.Queries
	c.RegisterUser = decorator.Command(c.RegisterUser, "RegisterUser", cmd)
	c.UpdateUser = decorator.Command(c.UpdateUser, "UpdateUser", cmd)
	c.DeactivateUser = decorator.Command(c.DeactivateUser, "DeactivateUser", cmd)
	c.ReactivateUser = decorator.Command(c.ReactivateUser, "ReactivateUser", cmd)
	c.DeleteUser = decorator.Command(c.DeleteUser, "DeleteUser", cmd)
	c.EraseUser = decorator.Command(c.EraseUser, "EraseUser", cmd)
	c.CreateGroup = decorator.Command(c.CreateGroup, "CreateGroup", cmd)
	c.UpdateGroup = decorator.Command(c.UpdateGroup, "UpdateGroup", cmd)
	c.DeleteGroup = decorator.Command(c.DeleteGroup, "DeleteGroup", cmd)
	c.CreateTenant = decorator.Command(c.CreateTenant, "CreateTenant", cmd)
	c.IssueToken = decorator.Command(c.IssueToken, "IssueToken", cmd)
	c.RevokeToken = decorator.Command(c.RevokeToken, "RevokeToken", cmd)
	c.StartImport = decorator.Command(c.StartImport, "StartImport", cmd)
	c.ImportUserRow = decorator.Command(c.ImportUserRow, "ImportUserRow", cmd)
	c.ImportUserRows = decorator.Command(c.ImportUserRows, "ImportUserRows", cmd)
	c.ParkImportRow = decorator.Command(c.ParkImportRow, "ParkImportRow", cmd)
	c.RetryImport = decorator.Command(c.RetryImport, "RetryImport", cmd)
	c.FailStaleImports = decorator.Command(c.FailStaleImports, "FailStaleImports", cmd)
	c.SyncHRIS = decorator.Command(c.SyncHRIS, "SyncHRIS", cmd)
	c.DeliverNotification = decorator.Command(c.DeliverNotification, "DeliverNotification", cmd)
	c.SetNotificationSettings = decorator.Command(c.SetNotificationSettings, "SetNotificationSettings", cmd)

	q.GetUser = decorator.Query(q.GetUser, "GetUser", qry)
	q.ListUsers = decorator.Query(q.ListUsers, "ListUsers", qry)
	q.GetUserEvents = decorator.Query(q.GetUserEvents, "GetUserEvents", qry)
	q.ExportUser = decorator.Query(q.ExportUser, "ExportUser", qry)
	q.SearchUsers = decorator.Query(q.SearchUsers, "SearchUsers", qry)
	q.GetUserRecord = decorator.Query(q.GetUserRecord, "GetUserRecord", qry)
	q.Authenticate = decorator.Query(q.Authenticate, "Authenticate", qry)
	q.GetTenant = decorator.Query(q.GetTenant, "GetTenant", qry)
	q.ListTokens = decorator.Query(q.ListTokens, "ListTokens", qry)
	q.GetNotificationSettings = decorator.Query(q.GetNotificationSettings, "GetNotificationSettings", qry)
	q.GetImport = decorator.Query(q.GetImport, "GetImport", qry)
	q.ListImportFailures = decorator.Query(q.ListImportFailures, "ListImportFailures", qry)
	q.ListParkedImportRows = decorator.Query(q.ListParkedImportRows, "ListParkedImportRows", qry)
}
