package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"

	"github.com/userservice/userservice/adapters/kafka/kafkatest"
	"github.com/userservice/userservice/adapters/postgres/pgtest"
	"github.com/userservice/userservice/app/command"
	"github.com/userservice/userservice/cmd/internal/service"
	"github.com/userservice/userservice/domain/user"
)

func TestRepublishRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"republish"}, "give exactly one of --from and --since"},
		{[]string{"republish", "--from", "1", "--since", "2026-01-01T00:00:00Z"}, "give exactly one of --from and --since"},
		{[]string{"republish", "--from", "zero"}, `--from "zero": want an event number from 1, or TX:SEQ`},
		{[]string{"republish", "--from", "1:x"}, `--from: position "1:x"`},
		{[]string{"republish", "--since", "yesterday"}, `--since "yesterday": want an RFC 3339 time`},
		{[]string{"republish", "--from", "1", "--tenant", "acme"}, `--tenant "acme" is not a UUID`},
		{[]string{"republish", "--from", "1", "--topic", " "}, "--topic must not be empty"},
	} {
		r := usersctl(t, "postgres://nowhere.invalid/db", tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

// One tenant's events of one type, from a time on, to a fresh topic; then
// nothing new when continued from the position the first run printed.
func TestRepublishATenantsEventsOfAType(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	brokers := kafkatest.Brokers(t)
	topic := kafkatest.Topic(t, brokers, 2)
	ctx := context.Background()
	application, err := service.BuildApplication(pool, nil, nil)
	must(t, err)
	tenant, err := application.Commands.CreateTenant.Handle(ctx, command.CreateTenant{Name: t.Name(), Seats: 10})
	must(t, err)
	since := time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
	for range 3 {
		env := command.Envelope{CommandID: uuid.NewString(), TenantID: tenant.ID, Actor: "test", Source: command.SourceAPI}
		res, err := application.Commands.RegisterUser.Handle(ctx, command.RegisterUser{Envelope: env, Registration: user.Registration{
			Email: uuid.NewString() + "@example.com", Profile: user.Profile{GivenName: "G", FamilyName: "F"}}})
		must(t, err)
		env.CommandID = uuid.NewString()
		_, err = application.Commands.DeactivateUser.Handle(ctx, command.DeactivateUser{Envelope: env, UserID: res.User.ID})
		must(t, err)
	}
	args := []string{"republish", "--since", since, "--tenant", tenant.ID, "--type", "user.registered",
		"--brokers", strings.Join(brokers, ","), "--topic", topic}
	var r result
	// Another test's open transaction may hold the gap-safe bound back.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if r = usersctl(t, pgtest.URL(), args...); r.code != 0 || strings.HasPrefix(r.stdout, "republished 3 events") {
			break
		}
	}
	if r.code != 0 || !strings.HasPrefix(r.stdout, "republished 3 events to "+topic) {
		t.Fatalf("republish: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	got := kafkatest.Read(t, brokers, topic, time.Minute, func(m []*sarama.ConsumerMessage) bool { return len(m) >= 3 })
	for _, m := range got {
		if !strings.Contains(string(m.Value), `"type":"user.registered.v2"`) || !strings.Contains(string(m.Value), tenant.ID) {
			t.Errorf("record %s is not one of the tenant's registrations", m.Value)
		}
	}
	_, position, ok := strings.Cut(strings.TrimSpace(r.stdout), "--from ")
	if !ok {
		t.Fatalf("no position to continue from in %q", r.stdout)
	}
	r = usersctl(t, pgtest.URL(), "republish", "--from", position, "--tenant", tenant.ID,
		"--brokers", strings.Join(brokers, ","), "--topic", topic)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "republished 0 events") {
		t.Fatalf("continued republish: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}
