// Package hris reads employees from an HRIS over HTTP and runs the hris-sync
// role: on a cron schedule, it runs the SyncHRIS use case, which queues the
// employees as import rows exactly like a CSV import (source hris).
//
// The endpoint's format: GET <URL>?page_size=<n>[&cursor=<c>] with
// "Authorization: Bearer <token>" answers
//
//	{"employees": [{"employee_id": "E1", "email": "ada@example.com", "given_name": "Ada",
//	                "family_name": "Lovelace", "display_name": "Ada L.", "department": "R&D",
//	                "title": "Engineer", "manager_id": "E0", "status": "active",
//	                "last_modified": "2025-01-02T03:04:05Z"}, ...],
//	 "next_cursor": "opaque"}
//
// A missing or empty next_cursor ends the list. employee_id is required; any
// other member that is absent (or null) leaves that field of the user as it
// is. manager_id is the manager's employee_id. status "active" or "on_leave"
// is active; "inactive", "terminated" and "deactivated" deactivate the user.
// last_modified, when given, keeps an older record from overwriting a user
// changed after it.
package hris

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/userservice/userservice/app/command"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	// URL is the employees endpoint. Required.
	URL string
	// Token is the bearer token. Required.
	Token string
	// PageSize is asked for per page. Default 500.
	PageSize int
	// MaxPages bounds one sync (a safety net against a cursor loop). Default 10000.
	MaxPages int
	// RequestTimeout bounds one page request. Default 30s.
	RequestTimeout time.Duration
	// Attempts per page; failures wait RetryDelay, doubling. Defaults 5 and 1s.
	Attempts   int
	RetryDelay time.Duration
	// HTTPClient sends the requests. Default a new http.Client.
	HTTPClient *http.Client
}

func (c *ClientConfig) setDefaults() {
	if c.PageSize == 0 {
		c.PageSize = 500
	}
	if c.MaxPages == 0 {
		c.MaxPages = 10000
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.Attempts == 0 {
		c.Attempts = 5
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = time.Second
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
}

// Validate reports every invalid field at once.
func (c ClientConfig) Validate() error {
	var errs []error
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("hris: URL must be an absolute http(s) URL"))
	}
	if c.Token == "" {
		errs = append(errs, errors.New("hris: Token is empty"))
	}
	if c.PageSize < 1 || c.MaxPages < 1 || c.Attempts < 1 {
		errs = append(errs, errors.New("hris: PageSize, MaxPages and Attempts must be positive"))
	}
	if c.RequestTimeout <= 0 || c.RetryDelay <= 0 {
		errs = append(errs, errors.New("hris: RequestTimeout and RetryDelay must be positive"))
	}
	return errors.Join(errs...)
}

// Client reads all employees: it is the command.EmployeeSource of SyncHRIS.
type Client struct{ cfg ClientConfig }

// NewClient returns a client.
func NewClient(cfg ClientConfig) (*Client, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg}, nil
}

type page struct {
	Employees  []employee `json:"employees"`
	NextCursor string     `json:"next_cursor"`
}

type employee struct {
	EmployeeID   string     `json:"employee_id"`
	Email        *string    `json:"email"`
	GivenName    *string    `json:"given_name"`
	FamilyName   *string    `json:"family_name"`
	DisplayName  *string    `json:"display_name"`
	Department   *string    `json:"department"`
	Title        *string    `json:"title"`
	ManagerID    *string    `json:"manager_id"`
	Status       *string    `json:"status"`
	LastModified *time.Time `json:"last_modified"`
}

// Employees implements command.EmployeeSource: every page, or an error.
func (c *Client) Employees(ctx context.Context) ([]command.ImportRow, error) {
	var rows []command.ImportRow
	cursor := ""
	seen := map[string]bool{}
	for n := 1; ; n++ {
		if n > c.cfg.MaxPages {
			return nil, fmt.Errorf("hris: more than %d pages", c.cfg.MaxPages)
		}
		p, err := backoff.Retry(ctx, func() (page, error) { return c.page(ctx, cursor) },
			backoff.WithBackOff(&backoff.ExponentialBackOff{InitialInterval: c.cfg.RetryDelay, RandomizationFactor: 0.2,
				Multiplier: 2, MaxInterval: 30 * c.cfg.RetryDelay}),
			backoff.WithMaxTries(uint(c.cfg.Attempts)), backoff.WithMaxElapsedTime(0))
		if err != nil {
			return nil, fmt.Errorf("hris: page %d: %w", n, err)
		}
		for _, e := range p.Employees {
			r, err := e.row(len(rows) + 1)
			if err != nil {
				return nil, fmt.Errorf("hris: page %d: %w", n, err)
			}
			rows = append(rows, r)
		}
		if p.NextCursor == "" {
			return rows, nil
		}
		if seen[p.NextCursor] {
			return nil, fmt.Errorf("hris: page %d repeats cursor %q", n, p.NextCursor)
		}
		seen[p.NextCursor] = true
		cursor = p.NextCursor
	}
}

// page fetches one page. Client errors other than 408 and 429 are permanent:
// asking again will not help.
func (c *Client) page(ctx context.Context, cursor string) (page, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	u, _ := url.Parse(c.cfg.URL) // validated
	q := u.Query()
	q.Set("page_size", strconv.Itoa(c.cfg.PageSize))
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return page{}, backoff.Permanent(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return page{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		err := fmt.Errorf("status %s: %s", resp.Status, strings.TrimSpace(string(body)))
		if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout &&
			resp.StatusCode != http.StatusTooManyRequests {
			return page{}, backoff.Permanent(err)
		}
		return page{}, err
	}
	var p page
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return page{}, fmt.Errorf("decode page: %w", err)
	}
	return p, nil
}

// row maps an employee onto import columns; absent members stay absent.
func (e employee) row(n int) (command.ImportRow, error) {
	if strings.TrimSpace(e.EmployeeID) == "" {
		return command.ImportRow{}, fmt.Errorf("employee %d has no employee_id", n)
	}
	f := map[string]string{command.ColExternalID: strings.TrimSpace(e.EmployeeID)}
	for col, v := range map[string]*string{command.ColEmail: e.Email, command.ColGivenName: e.GivenName,
		command.ColFamilyName: e.FamilyName, command.ColDisplayName: e.DisplayName, command.ColDepartment: e.Department,
		command.ColTitle: e.Title, command.ColManagerExternalID: e.ManagerID} {
		if v != nil {
			f[col] = strings.TrimSpace(*v)
		}
	}
	if e.Status != nil {
		switch s := strings.ToLower(strings.TrimSpace(*e.Status)); s {
		case "active", "on_leave":
			f[command.ColStatus] = "active"
		case "inactive", "terminated", "deactivated":
			f[command.ColStatus] = "deactivated"
		default:
			f[command.ColStatus] = s // the domain rejects it, with the row
		}
	}
	r := command.ImportRow{Row: n, Fields: f}
	if e.LastModified != nil {
		r.SourceModifiedAt = *e.LastModified
	}
	return r, nil
}
