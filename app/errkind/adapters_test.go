package errkind_test

import (
	"testing"

	"github.com/userservice/userservice/adapters/csvimport"
	"github.com/userservice/userservice/adapters/notify"
	"github.com/userservice/userservice/adapters/postgres"
	"github.com/userservice/userservice/app/errkind"
)

// adapterErrors is every exported error of adapters/. One that a handler can
// return to a port has a kind like the app's own (a missing one would be a
// 500, or an import row retried instead of rejected); one that never reaches
// a port through a handler says why it stays unclassified.
var adapterErrors = map[string]struct {
	err          error
	unclassified string // why it has no kind; "" when it must have one
}{
	"adapters/postgres.ErrTenantNotFound": {err: postgres.ErrTenantNotFound},
	"adapters/csvimport.ErrTooLarge":      {err: csvimport.ErrTooLarge},
	"adapters/notify.ErrInternalAddress":  {err: notify.ErrInternalAddress},

	"adapters/personaldata.ErrCorrupt": {unclassified: "altered data or key: a failure of ours (500), never the caller's"},
	"adapters/personaldata.ErrNoKeys": {unclassified: "a process started without MASTER_KEYS: an operator's failure, " +
		"retried (an import row is not rejected for it)"},
	"adapters/personaldata.ErrUnknownMasterKey": {unclassified: "a master key missing from MASTER_KEYS: as ErrNoKeys"},
	"adapters/notify.ErrBadSignature":           {unclassified: "the receiver's side (VerifySignature); no handler returns it"},
	"adapters/projection.ErrRebuildRunning":     {unclassified: "usersctl replay's own refusal, printed by the CLI"},
	"adapters/eventcontract.ErrMalformed":       {unclassified: "a Kafka consumer's decoding error; no handler returns it"},
	"adapters/eventcontract.ErrInvalidEnvelope": {unclassified: "as ErrMalformed"},
	"adapters/eventcontract.ErrUnknownType":     {unclassified: "as ErrMalformed"},
	"adapters/eventcontract.ErrInvalidData":     {unclassified: "as ErrMalformed"},
	"adapters/kafka.ErrTopicTooSmall":           {unclassified: "the relay's start-up check of the topic"},
	"adapters/kafka.*RejectedError":             {unclassified: "the relay's own: it parks the message"},
	"adapters/kafka.*MessageError":              {unclassified: "the relay's own: it retries the message"},
	"adapters/eventcontract.*UnknownTypeError":  {unclassified: "as ErrMalformed"},
	"adapters/eventcontract.ErrOpenerUnavailable": {unclassified: "a Kafka consumer's: retried by the subscriber; " +
		"no handler returns it"},
	"adapters/personaldata.*KeyStoreError": {unclassified: "the Opener of a Kafka consumer (becomes " +
		"eventcontract.ErrOpenerUnavailable); no handler returns it"},
	"adapters/csvimport.*FieldTooLongError": {unclassified: "the reader returns it wrapped in command.ErrInvalidImportFile " +
		"(validation), whose kind the ports read first"},
}

// TestEveryAdapterErrorIsConsidered: a new exported error of adapters/ must
// be listed above, with a kind or with the reason it needs none.
func TestEveryAdapterErrorIsConsidered(t *testing.T) {
	declared := declaredErrors(t, "adapters")
	seen := map[string]bool{}
	for _, name := range declared {
		seen[name] = true
		e, ok := adapterErrors[name]
		switch {
		case !ok:
			t.Errorf("%s is not in adapterErrors: give it a kind if a handler can return it, or say why not", name)
		case e.unclassified == "" && !errkind.Of(e.err).Valid():
			t.Errorf("%s has no kind", name)
		case e.unclassified == "" && errkind.Code(e.err) == "":
			t.Errorf("%s has no code", name)
		}
	}
	for name := range adapterErrors {
		if !seen[name] {
			t.Errorf("adapterErrors lists %s, which is not declared (renamed or removed?)", name)
		}
	}
}
