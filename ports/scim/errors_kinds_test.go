package scim

import (
	"testing"

	"github.com/userservice/userservice/app/errkind"
	"github.com/userservice/userservice/app/errkind/errcatalog"
)

// TestEveryAppErrorAnswered: every error of domain/ and app/ that a client
// can cause gets a SCIM error with a detail; only failures of ours are a 500.
func TestEveryAppErrorAnswered(t *testing.T) {
	for name, err := range errcatalog.Errors() {
		se := classify(err)
		k := errkind.Of(err)
		internal := k == errkind.Internal || k == errkind.Deferred || k == errkind.Transient
		if (se.status == 500) != internal || se.detail == "" {
			t.Errorf("%s (%s) = %d %q", name, errkind.Of(err), se.status, se.detail)
		}
	}
}
