package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/userservice/userservice/app/errkind"
	"github.com/userservice/userservice/app/errkind/errcatalog"
)

// notOverHTTP are codes no request of this API can meet, left out of the
// document: only the HRIS sync names an import's dedup key, and no group
// command refuses a display name yet.
var notOverHTTP = map[string]bool{"import_exists": true, "display_name_taken": true}

// TestEveryAppErrorAnswered: every error of domain/ and app/ that a client
// can cause is answered with its own documented code, and only failures of
// ours are a 500.
func TestEveryAppErrorAnswered(t *testing.T) {
	spec := string(openapiSpec)
	for name, err := range errcatalog.Errors() {
		p := classify(err)
		switch k := errkind.Of(err); k {
		case errkind.Internal, errkind.Deferred, errkind.Transient:
			if p.Status != http.StatusInternalServerError || p.Code != codeInternal {
				t.Errorf("%s (%s) = %d %s, want a 500", name, k, p.Status, p.Code)
			}
		default:
			if p.Status >= 500 || p.Code != errkind.Code(err) {
				t.Errorf("%s (%s) = %d %s, want its kind's status and code %s", name, k, p.Status, p.Code, errkind.Code(err))
			}
			if !notOverHTTP[p.Code] && !strings.Contains(spec, "- "+p.Code+"\n") {
				t.Errorf("%s: code %s is not in the Problem schema of openapi.yaml", name, p.Code)
			}
		}
	}
}
