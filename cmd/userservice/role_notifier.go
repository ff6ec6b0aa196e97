package main

import (
	"go.uber.org/zap"

	"github.com/userservice/userservice/adapters/notify"
	"github.com/userservice/userservice/app"
	"github.com/userservice/userservice/cmd/internal/roles"
)

// newNotifier builds the notifier role: it delivers the queued notices of
// finished import jobs, by webhook and (with SMTP_ADDR set) by e-mail.
func newNotifier(application app.Application, _ *zap.Logger) (roles.Runner, error) {
	return notify.NewNotifier(application.Commands.DeliverNotification, notify.NotifierConfig{})
}
