package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"
)

// view is what every page template receives. html/template escapes every
// value it prints: a user named <script> is shown as text.
type view struct {
	Title   string
	Nav     string // which menu entry is current
	Session session
	Error   string
	Notice  string
	Data    any
	// Tenant is the signed-in tenant with its seats, shown on every page.
	Tenant *tenantInfo
}

// tenantInfo is GET /v1/tenant.
type tenantInfo struct {
	Name      string `json:"name"`
	SeatLimit int    `json:"seat_limit"`
	SeatsUsed int    `json:"seats_used"`
}

// tenant reads the tenant's seats; a failure only hides them.
func (c *console) tenant(r *http.Request, s session) *tenantInfo {
	res, err := c.api.jsonCall(r, s, http.MethodGet, "/v1/tenant", nil, nil)
	if err != nil || !res.ok() {
		return nil
	}
	var t tenantInfo
	if res.decode(&t) != nil {
		return nil
	}
	return &t
}

// pages are the parsed templates, one set per page (the layout plus the page).
type pages map[string]*template.Template

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"text":    displayValue,
	"name":    userLabel,
	"percent": func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
	"deref": func(p *int) string {
		if p == nil {
			return "?"
		}
		return fmt.Sprint(*p)
	},
}

func parsePages() (pages, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "assets/templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: layout: %w", err)
	}
	files, err := fs.Glob(assets, "assets/templates/*.html")
	if err != nil {
		return nil, err
	}
	out := pages{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(assets, f)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render writes a page; a template failure is a 500 with nothing half-written.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, page string, s session, v view) {
	v.Session = s
	if s.Token != "" && v.Tenant == nil {
		v.Tenant = c.tenant(r, s)
	}
	var buf bytes.Buffer
	t, ok := c.pages[page]
	if !ok {
		c.log.Error("console: no such page", zap.String("page", page))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.log.Error("console: render", zap.String("page", page), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an API answer the page cannot go on from; 401 (token revoked or
// expired since sign-in) ends the session.
func (c *console) fail(w http.ResponseWriter, r *http.Request, s session, res apiResult, err error) {
	if err != nil {
		c.log.Error("console: API call", zap.String("path", r.URL.Path), zap.Error(err))
		c.render(w, r, http.StatusInternalServerError, "error", s, view{Title: "Error", Error: "The console failed; see the service's log."})
		return
	}
	if res.status == http.StatusUnauthorized {
		c.clearSession(w, r)
		http.Redirect(w, r, "/admin/sign-in?expired=1", http.StatusSeeOther)
		return
	}
	p := res.problem()
	status := res.status
	if status < 400 {
		status = http.StatusBadGateway
	}
	c.render(w, r, status, "error", s, view{Title: p.Title, Error: p.Message()})
}

// displayValue turns a JSON value into the text a page shows: a list of
// contacts (e-mails, phones, addresses) as "value (type, primary); ...".
func displayValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64, bool:
		return fmt.Sprint(x)
	case []any:
		parts := make([]string, 0, len(x))
		for _, item := range x {
			parts = append(parts, itemText(item))
		}
		return strings.Join(parts, "; ")
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// itemText is one entry of a list: its value (or its other text fields, in
// key order), then its type and whether it is primary.
func itemText(item any) string {
	m, ok := item.(map[string]any)
	if !ok {
		return displayValue(item)
	}
	var text, notes []string
	if v, ok := m["value"].(string); ok {
		text = append(text, v)
	} else {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if v, ok := m[k].(string); ok && v != "" && k != "type" {
				text = append(text, v)
			}
		}
	}
	if t, ok := m["type"].(string); ok && t != "" {
		notes = append(notes, t)
	}
	if p, ok := m["primary"].(bool); ok && p {
		notes = append(notes, "primary")
	}
	out := strings.Join(text, ", ")
	if len(notes) > 0 {
		out += " (" + strings.Join(notes, ", ") + ")"
	}
	return out
}

// userLabel names a user for people: the display name, else the names, else
// the username or e-mail (names are optional).
func userLabel(u map[string]any) string {
	if d := displayValue(u["display_name"]); d != "" {
		return d
	}
	if n := strings.TrimSpace(displayValue(u["given_name"]) + " " + displayValue(u["family_name"])); n != "" {
		return n
	}
	if n := displayValue(u["username"]); n != "" {
		return n
	}
	return displayValue(u["email"])
}
