package roles_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/userservice/userservice/cmd/internal/roles"
)

func TestParse(t *testing.T) {
	all := roles.Names()
	cases := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{in: "all", want: all},
		{in: "ALL", want: all},
		{in: "relay, api", want: []string{"api", "relay"}},
		{in: "api,api,,", want: []string{"api"}},
		{in: "api,all", want: all},
		{in: "hris-sync", want: []string{"hris-sync"}},
		{in: "api,bogus,web", wantErr: `unknown role "bogus", "web": valid roles are api, importer, relay, notifier, hris-sync, directory or all`},
		{in: "", wantErr: "no role given"},
		{in: " , ", wantErr: "no role given"},
	}
	for _, c := range cases {
		got, err := roles.Parse(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Parse(%q) error = %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func TestRunStopsAllOnCancel(t *testing.T) {
	reg := roles.NewRegistry(zap.NewNop())
	stopped := make(chan string, len(roles.Names()))
	for _, n := range roles.Names() {
		if err := reg.Register(n, roles.RunFunc(func(ctx context.Context) error {
			<-ctx.Done()
			stopped <- n
			return nil
		})); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- reg.Run(ctx, roles.Names()) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if len(stopped) != len(roles.Names()) {
		t.Fatalf("%d of %d roles stopped", len(stopped), len(roles.Names()))
	}
}

func TestRunFailureCancelsOthers(t *testing.T) {
	reg := roles.NewRegistry(nil)
	boom := errors.New("boom")
	_ = reg.Register(roles.API, roles.RunFunc(func(ctx context.Context) error { return boom }))
	_ = reg.Register(roles.Relay, roles.RunFunc(func(ctx context.Context) error { <-ctx.Done(); return nil }))
	_ = reg.Register(roles.Notifier, roles.RunFunc(func(ctx context.Context) error { return nil }))

	if err := reg.Run(context.Background(), []string{roles.API, roles.Relay}); !errors.Is(err, boom) {
		t.Errorf("Run = %v, want boom", err)
	}
	if err := reg.Run(context.Background(), []string{roles.Notifier}); !errors.Is(err, roles.ErrStoppedEarly) {
		t.Errorf("Run of a role that returns at once = %v, want ErrStoppedEarly", err)
	}
	if err := reg.Run(context.Background(), []string{roles.Importer}); err == nil {
		t.Error("Run of an unregistered role succeeded")
	}
}

func TestRegisterRefusesMistakes(t *testing.T) {
	reg := roles.NewRegistry(nil)
	noop := roles.RunFunc(func(ctx context.Context) error { return nil })
	if err := reg.Register("web", noop); err == nil {
		t.Error("unknown role name accepted")
	}
	if err := reg.Register(roles.API, noop); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(roles.API, noop); err == nil {
		t.Error("duplicate registration accepted")
	}
}
