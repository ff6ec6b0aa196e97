package httpapi

import (
	"errors"
	"io"
	"sync"
)

// Defaults of the per-tenant upload caps. An upload is staged into
// PostgreSQL as it is read (up to MaxImportBytes each; the name "spool" is
// from when it went to a disk file), so the caps bound both the request
// slots and the staging space one tenant can take at once.
const (
	DefaultImportUploadsPerTenant          = 2
	DefaultImportSpoolBytesPerTenant int64 = 512 << 20
)

// uploadRetryAfter is the Retry-After of a refused upload: uploads take
// seconds to minutes, so sooner is pointless.
const uploadRetryAfter = "10"

// Errors of the upload caps, answered 429 with Retry-After.
var (
	errTooManyUploads = errors.New("the tenant has as many imports uploading as it may; retry when one has finished")
	errSpoolFull      = errors.New("the tenant's uploads in progress use all of its spool space; retry when one has finished")
)

// uploadLimits caps, per tenant, the uploads in progress and the bytes they
// have spooled together.
type uploadLimits struct {
	perTenant int
	budget    int64

	mu     sync.Mutex
	active map[string]*tenantUploads
}

type tenantUploads struct {
	uploads int
	bytes   int64
}

func newUploadLimits(perTenant int, budget int64) *uploadLimits {
	return &uploadLimits{perTenant: perTenant, budget: budget, active: map[string]*tenantUploads{}}
}

// begin takes an upload slot of the tenant; the returned reader charges
// what it reads to the tenant's spool budget, and release gives both back.
func (u *uploadLimits) begin(tenantID string, body io.Reader) (io.Reader, func(), error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	t := u.active[tenantID]
	if t == nil {
		t = &tenantUploads{}
		u.active[tenantID] = t
	}
	if t.uploads >= u.perTenant {
		return nil, nil, errTooManyUploads
	}
	t.uploads++
	r := &chargedReader{r: body, limits: u, tenant: t}
	release := func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		t.uploads--
		t.bytes -= r.charged
		if t.uploads == 0 {
			delete(u.active, tenantID)
		}
	}
	return r, release, nil
}

// chargedReader counts the bytes of one upload against its tenant's budget.
type chargedReader struct {
	r       io.Reader
	limits  *uploadLimits
	tenant  *tenantUploads
	charged int64
}

func (c *chargedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.limits.mu.Lock()
		over := c.tenant.bytes+int64(n) > c.limits.budget
		if !over {
			c.tenant.bytes += int64(n)
			c.charged += int64(n)
		}
		c.limits.mu.Unlock()
		if over {
			return 0, errSpoolFull
		}
	}
	return n, err
}
