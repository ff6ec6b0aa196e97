package console

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSessionSealing(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	s, err := newSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sess := session{Token: "secret-token", Role: "admin", CSRF: "c", Expires: now.Add(time.Hour)}
	sealed, err := s.seal(sess)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "secret-token") {
		t.Fatal("the token is readable in the cookie")
	}
	got, err := s.open(sealed, now)
	if err != nil || got.Token != "secret-token" || got.Role != "admin" {
		t.Fatalf("open: %+v, %v", got, err)
	}
	if _, err := s.open(sealed, now.Add(2*time.Hour)); err != errNoSession {
		t.Errorf("expired session opened: %v", err)
	}
	tampered := []byte(sealed)
	tampered[len(tampered)/2] ^= 1
	if _, err := s.open(string(tampered), now); err != errNoSession {
		t.Errorf("tampered session opened: %v", err)
	}
	other, _ := newSealer([]byte(strings.Repeat("o", 32)))
	if _, err := other.open(sealed, now); err != errNoSession {
		t.Errorf("another key opened the session: %v", err)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/admin/users/1":     "/admin/users/1",
		"":                   "/admin/users",
		"https://evil.test/": "/admin/users",
		"//evil.test/admin/": "/admin/users",
		"/admin/\\evil":      "/admin/users",
		"/v1/users":          "/admin/users",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	cases := []struct {
		public, origin, site string
		want                 bool
	}{
		{"", "", "", true},
		{"", "http://console.test", "same-origin", true},
		{"", "http://console.test:8081", "", false},
		{"", "http://evil.test", "cross-site", false},
		{"", "", "same-site", false},
		{"", "null", "", false},
		// Behind a proxy: the public origin counts, not the Host the proxy sends.
		{"https://users.example.com", "https://users.example.com", "same-origin", true},
		{"https://users.example.com", "http://console.test", "", false},
		{"https://users.example.com", "http://users.example.com", "", false},
	}
	for _, c := range cases {
		con := &console{}
		if c.public != "" {
			con.origin = c.public
		}
		r := httptest.NewRequest(http.MethodPost, "http://console.test/admin/users", nil)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if c.site != "" {
			r.Header.Set("Sec-Fetch-Site", c.site)
		}
		if got := con.sameOrigin(r); got != c.want {
			t.Errorf("public %q Origin %q Sec-Fetch-Site %q: %v, want %v", c.public, c.origin, c.site, got, c.want)
		}
	}
}

func TestPublicHTTPSURLMakesTheCookieSecure(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"tenant_id":"t","token_id":"i","role":"reader","permissions":["users:read"]}`))
	})
	h, err := NewHandler(Config{API: api, PublicURL: "https://users.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "http://10.0.0.5/admin/sign-in", strings.NewReader("token=x"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://users.example.com")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	cookies := w.Result().Cookies()
	if w.Code != http.StatusSeeOther || len(cookies) != 1 || !cookies[0].Secure || !cookies[0].HttpOnly ||
		cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Path != "/admin/" {
		t.Fatalf("sign-in behind an https proxy: %d %+v", w.Code, cookies)
	}
	if _, err := NewHandler(Config{API: api, PublicURL: "users.example.com"}); err == nil {
		t.Error("a PublicURL without a scheme was accepted")
	}
}

func TestHistoryChanges(t *testing.T) {
	events := []apiEvent{
		{Type: "user.registered.v1", Version: 1, Data: json.RawMessage(`{"tenant_id":"t","email":"a@x.test","given_name":"Ada","badge":"42"}`)},
		{Type: "user.profile_changed.v1", Version: 2, Data: json.RawMessage(`{"changes":{"title":{"old":"","new":"Analyst"}}}`)},
		{Type: "user.email_changed.v1", Version: 3, Data: json.RawMessage(`{"old_email":"a@x.test","new_email":"b@x.test"}`)},
		{Type: "user.deactivated.v2", Version: 4, Data: json.RawMessage(`{"cause":"requested","reason":"left"}`)},
		{Type: "user.profile_changed.v2", Version: 5, Data: json.RawMessage(`{"changes":{"username":{"old":"","new":"ada"}},` +
			`"phone_numbers":{"old":[],"new":[{"value":"+44 20","type":"work"}]}}`)},
	}
	h := history(events)
	if len(h) != 5 || h[0].Version != 5 || h[4].What != "Created" || h[0].What != "Profile changed" {
		t.Fatalf("history %+v", h)
	}
	want := map[int]string{
		1: "E-mail: -> a@x.test|Given name: -> Ada|badge: -> 42",
		2: "Title: -> Analyst",
		3: "E-mail: a@x.test -> b@x.test",
		4: "Status: active -> deactivated|cause: -> requested|reason: -> left",
		5: "Phone numbers: -> +44 20 (work)|Username: -> ada",
	}
	for _, e := range h {
		var parts []string
		for _, c := range e.Changes {
			parts = append(parts, strings.TrimSpace(c.Field+": "+c.Old)+" -> "+c.New)
		}
		if got := strings.Join(parts, "|"); got != want[e.Version] {
			t.Errorf("v%d: %q, want %q", e.Version, got, want[e.Version])
		}
	}
}

func TestUserViewShowsWhatTheAPIHas(t *testing.T) {
	u := map[string]any{"id": "1", "email": "a@x.test", "status": "active", "version": 2.0, "title": nil,
		"emails": []any{map[string]any{"value": "a@x.test", "type": "work", "primary": true}, map[string]any{"value": "b@x.test"}},
		"groups": []any{"ops"}, "badge": "42"}
	known, extra := userView(u, map[string]string{"email": "taken"}, false)
	var keys []string
	for _, f := range known {
		keys = append(keys, f.Key+"="+f.Value)
	}
	// Known fields the resource has, in the console's order (a known field the
	// API does not serve, such as username before it did, is not shown).
	if got, want := strings.Join(keys, "|"), "email=a@x.test|title=|emails=a@x.test (work, primary)\nb@x.test"; got != want {
		t.Errorf("known %q, want %q", got, want)
	}
	if known[0].Error != "taken" {
		t.Errorf("email's error %q", known[0].Error)
	}
	if len(extra) != 2 || extra[0].Key != "badge" || extra[0].Value != "42" || extra[1].Key != "groups" || extra[1].Value != "ops" {
		t.Errorf("extra %+v", extra)
	}
	creating, _ := userView(map[string]any{}, nil, true)
	for _, f := range creating {
		if !f.Create {
			t.Errorf("creation form offers %s", f.Key)
		}
	}
}

func TestUserLabel(t *testing.T) {
	for _, c := range []struct {
		u    map[string]any
		want string
	}{
		{map[string]any{"display_name": "Ada L.", "given_name": "Ada", "email": "a@x.test"}, "Ada L."},
		{map[string]any{"given_name": "Ada", "family_name": "Lovelace", "email": "a@x.test"}, "Ada Lovelace"},
		{map[string]any{"given_name": nil, "username": "ada", "email": "a@x.test"}, "ada"},
		{map[string]any{"email": "a@x.test"}, "a@x.test"},
	} {
		if got := userLabel(c.u); got != c.want {
			t.Errorf("userLabel(%v) = %q, want %q", c.u, got, c.want)
		}
	}
}

// TestTemplatesPutNothingInScriptContexts keeps true what the acceptance of
// GO-2026-6599 and GO-2026-6600 (html/template's JavaScript context tracking,
// scripts/vulncheck-accepted.txt) rests on: no template has an inline script,
// an event handler attribute, a style attribute or a javascript: URL, so no
// action is ever escaped in a JavaScript or CSS context.
func TestTemplatesPutNothingInScriptContexts(t *testing.T) {
	files, err := fs.Glob(assets, "assets/templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	bad := regexp.MustCompile(`(?i)<script[^>]*>[^<]|\son[a-z]+\s*=|\sstyle\s*=|javascript:|<style`)
	for _, f := range files {
		b, _ := fs.ReadFile(assets, f)
		if m := bad.Find(b); m != nil {
			t.Errorf("%s has %q", f, m)
		}
	}
}

func TestStaticFiles(t *testing.T) {
	h := staticFiles()
	for path, want := range map[string]int{
		"/admin/static/console.css": 200, "/admin/static/console.js": 200, "/admin/static/": 404,
		"/admin/static/../templates/layout.html": 404, "/admin/static/nope.js": 404,
	} {
		r := httptest.NewRequest(http.MethodGet, "http://c.test/", nil)
		r.URL.Path = path
		r.Header.Set("Range", "bytes=0-1,2-3")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("%s: %d, want %d", path, w.Code, want)
		}
		if want == 200 && (w.Body.Len() < 100 || !strings.Contains(w.Header().Get("Content-Type"), "text/")) {
			t.Errorf("%s: %d bytes of %s", path, w.Body.Len(), w.Header().Get("Content-Type"))
		}
	}
}

// fakeAPI answers the console's calls from a path -> JSON table; the
// console depends only on an http.Handler, so its pages render without a
// database here (the browser test runs them on the real service).
func fakeAPI(answers map[string]string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := answers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	})
}

// signedIn signs in through h and returns the session cookie.
func signedIn(t *testing.T, h http.Handler) *http.Cookie {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://c.test/admin/sign-in", strings.NewReader("token=x"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	t.Fatalf("sign-in: %d %s", w.Code, w.Body.String())
	return nil
}

func TestImportPageShowsParkedRows(t *testing.T) {
	h, err := NewHandler(Config{API: fakeAPI(map[string]string{
		"/v1/me":     `{"tenant_id":"t","token_id":"i","role":"admin","permissions":["users:read","users:write","imports:write"]}`,
		"/v1/tenant": `{"name":"Acme","seat_limit":10,"seats_used":3}`,
		"/v1/imports/j1": `{"id":"j1","status":"completed_with_errors","total":3,"processed":3,"created":2,"parked":1,` +
			`"created_at":"2026-12-07T01:00:00Z"}`,
		"/v1/imports/j1/failures": `{"failures":[]}`,
		"/v1/imports/j1/parked":   `{"parked":[{"row":7,"error":"<b>db down</b>","parked_at":"2026-12-07T01:00:05Z","requeued_at":null}]}`,
	})})
	if err != nil {
		t.Fatal(err)
	}
	cookie := signedIn(t, h)
	r := httptest.NewRequest(http.MethodGet, "http://c.test/admin/imports/j1", nil)
	r.AddCookie(cookie)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body := w.Body.String()
	for _, want := range []string{"Parked rows", "<td>7</td>", "&lt;b&gt;db down&lt;/b&gt;", "Retry parked rows", "seats <strong>3 / 10</strong>"} {
		if !strings.Contains(body, want) {
			t.Errorf("import page (%d) lacks %q", w.Code, want)
		}
	}
}

func TestListsRoundTrip(t *testing.T) {
	api := []any{
		map[string]any{"value": "ada@x.test", "type": "work", "primary": true},
		map[string]any{"value": "+1 (555) 0100", "type": "mobile"},
		map[string]any{"value": "home@x.test"},
	}
	text := listLines(api)
	if text != "ada@x.test (work, primary)\n+1 (555) 0100 (mobile)\nhome@x.test" {
		t.Fatalf("lines %q", text)
	}
	got, _ := json.Marshal(parseList(text + "\n\n  \n"))
	want := `[{"primary":true,"type":"work","value":"ada@x.test"},{"type":"mobile","value":"+1 (555) 0100"},{"value":"home@x.test"}]`
	if string(got) != want {
		t.Errorf("parsed %s\nwant   %s", got, want)
	}
	if got, _ := json.Marshal(parseList("")); string(got) != "[]" {
		t.Errorf("empty text parsed as %s", got)
	}
}
