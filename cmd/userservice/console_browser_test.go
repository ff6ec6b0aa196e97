package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/userservice/userservice/ports/console"
)

// TestConsoleInABrowser drives the admin console in headless Chromium against
// the real service (PostgreSQL, Kafka, api and importer roles): every check of
// issue 20's list, axe-core on each main page, and, with
// CONSOLE_SCREENSHOTS=<dir> (make screenshots), the README's screenshots.
func TestConsoleInABrowser(t *testing.T) {
	chromium, axe := browserTools(t)
	s := startService(t, "api,importer")
	tn := newTenant(t, 4)
	b := newBrowser(t, chromium, s.base, axe)

	admin := b.session(t)
	admin.signIn(t, tn.admin)
	admin.axe(t, "users (empty)")

	// Create; a bad e-mail shows the API's message next to the field.
	admin.nav(t, "/admin/users/new")
	admin.axe(t, "new user form")
	admin.fill(t, map[string]string{"email": "not-an-email", "given_name": "Ada", "family_name": "Lovelace"})
	admin.submit(t, ".userform button.primary")
	admin.wantText(t, "#u-email-err", "e-mail")
	admin.fill(t, map[string]string{"email": "ada@example.com", "department": "Engineering", "username": "ada",
		"employee_number": "E-1815"})
	admin.submit(t, ".userform button.primary")
	admin.wantText(t, ".alert.notice", "User created")
	admin.wantText(t, `dd[data-field="username"]`, "ada")
	admin.wantText(t, `dd[data-field="employee_number"]`, "E-1815")
	adaURL := admin.location(t)

	// A name that is markup stays text.
	admin.nav(t, "/admin/users/new")
	admin.fill(t, map[string]string{"email": "xss@example.com", "given_name": `<script>alert("xss")</script>`,
		"family_name": `<img src=x onerror=alert("xss")>`})
	admin.submit(t, ".userform button.primary")
	admin.wantText(t, "h1", `<script>alert("xss")</script>`)
	admin.nav(t, "/admin/users")
	admin.wantText(t, "table.users", `<img src=x onerror=alert("xss")>`)
	if b.xss.Load() {
		t.Fatal("a user's name ran as script")
	}

	// Edit, then the history shows the field-by-field change.
	admin.go_(t, adaURL)
	admin.submit(t, "a.button.primary[href$='/edit']")
	admin.fill(t, map[string]string{"title": "Analyst"})
	admin.submit(t, ".userform button.primary")
	admin.wantText(t, ".alert.notice", "Saved")
	admin.wantText(t, ".history li:first-child .diff", "Title")
	admin.wantText(t, ".history li:first-child .diff .new", "Analyst")
	admin.axe(t, "user detail")
	admin.shot(t, "user")

	// Lists (phone numbers) are edited as lines.
	admin.go_(t, adaURL+"/edit")
	admin.fill(t, map[string]string{"phone_numbers": "+44 20 7946 0000 (work, primary)\n+1 (555) 0100 (mobile)"})
	admin.submit(t, ".userform button.primary")
	admin.wantText(t, ".alert.notice", "Saved")
	admin.wantText(t, `dd[data-field="phone_numbers"]`, "+1 (555) 0100 (mobile)")
	admin.wantText(t, ".history li:first-child .diff", "Phone numbers")

	// Saving the same values again: nothing changed (X-Changed: false).
	admin.go_(t, adaURL+"/edit")
	admin.submit(t, ".userform button.primary")
	admin.wantText(t, ".alert.notice", "Nothing changed")

	// Two editors: the second to save gets the conflict and the other version.
	other := b.session(t)
	other.signIn(t, tn.admin)
	other.go_(t, adaURL+"/edit")
	admin.go_(t, adaURL+"/edit")
	admin.fill(t, map[string]string{"department": "Research"})
	admin.submit(t, ".userform button.primary")
	admin.wantText(t, ".alert.notice", "Saved")
	other.fill(t, map[string]string{"title": "Countess"})
	other.submit(t, ".userform button.primary")
	other.wantText(t, ".alert.error", "Changed by someone else")
	other.wantText(t, ".conflict", "Research")
	other.axe(t, "edit conflict")

	// An import with good and bad rows: the counts reach their end, the
	// failures show, and download as CSV.
	csv := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(csv, []byte("Employee,email,given_name,family_name,department\n"+
		"e1,imp1@example.com,Imp,One,Sales\ne2,not-an-email,Bad,Row,Sales\ne3,imp3@example.com,Imp,Three,Sales\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	admin.nav(t, "/admin/imports")
	admin.axe(t, "imports")
	// A file dropped on the zone lands in the file input, and its header row
	// is offered for the mapping.
	evaluate[bool](t, admin, `(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(["Employee,email\n"], "dropped.csv", {type: "text/csv"}));
		document.querySelector("[data-dropzone]").dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
		return true;
	})()`)
	admin.waitFor(t, `document.getElementById("file").files[0].name === "dropped.csv" && document.querySelectorAll("#headers option").length === 2`)
	admin.do(t, chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{csv}))
	admin.do(t, chromedp.Click(chromedp.CSS("details summary")))
	admin.fill(t, map[string]string{"map-external_id": "Employee"})
	admin.submit(t, ".upload button.primary")
	// The importer role shares the test database's queue with other tests:
	// allow for a busy machine.
	admin.waitWithin(t, 90*time.Second, `document.querySelector('[data-count=status]') && document.querySelector('[data-count=status]').textContent === 'completed_with_errors' && !!document.querySelector('table.failures')`)
	admin.wantText(t, "[data-count=created]", "2")
	admin.wantText(t, "[data-count=rejected]", "1")
	admin.wantText(t, "table.failures", "email")
	download := evaluate[string](t, admin, `fetch(document.querySelector('a[href$="failures.csv"]').href).then(r => r.text())`)
	if !strings.Contains(download, "row") || !strings.Contains(download, "not-an-email") && !strings.Contains(download, "email") {
		t.Fatalf("failures download: %q", download)
	}
	admin.axe(t, "import job")
	admin.shot(t, "import")
	jobURL := admin.location(t)
	admin.nav(t, "/admin/imports")
	admin.wantText(t, "table", jobURL[strings.LastIndex(jobURL, "/")+1:])

	// Seats are exhausted now (Ada, the markup user, two imported): the API's message shows.
	admin.nav(t, "/admin/users/new")
	admin.fill(t, map[string]string{"email": "fifth@example.com", "given_name": "Fifth", "family_name": "User"})
	admin.submit(t, ".userform button.primary")
	admin.wantText(t, ".alert.error", "seat")
	admin.wantText(t, "[data-seats]", "4 / 4")
	admin.nav(t, "/admin/users")
	admin.shot(t, "users")
	// Notice settings: a bad address shows the API's message; saved ones are
	// read back (the secret only as "set").
	admin.nav(t, "/admin/settings")
	admin.fill(t, map[string]string{"emails": "ops@example.com, not-an-address"})
	admin.submit(t, `form[action="/admin/settings/notifications"] button`)
	admin.wantText(t, ".alert.error", "e-mail")
	admin.fill(t, map[string]string{"emails": "ops@example.com, it@example.com", "webhook_url": "https://hooks.example.com/u",
		"webhook_secret": "s3cret-s3cret-s3cret"})
	admin.submit(t, `form[action="/admin/settings/notifications"] button`)
	admin.wantText(t, ".alert.notice", "saved")
	if got := evaluate[string](t, admin, `document.getElementById("emails").value + " " + document.getElementById("webhook_url").value`); got != "ops@example.com, it@example.com https://hooks.example.com/u" {
		t.Fatalf("settings read back as %q", got)
	}
	admin.wantText(t, "#secret-hint", "secret is set")

	// Tokens: one created is shown once, listed without its secret, revoked.
	admin.nav(t, "/admin/settings")
	admin.do(t, chromedp.SetValue(chromedp.CSS("#role"), "reader"))
	admin.submit(t, `form[action="/admin/settings/tokens"] button`)
	secret := evaluate[string](t, admin, `document.getElementById("new-token").value`)
	s.call("GET", "/v1/me", secret, nil).want(t, 200, "")
	admin.axe(t, "settings with a new token")
	admin.nav(t, "/admin/settings")
	if html := evaluate[string](t, admin, `document.body.innerHTML`); strings.Contains(html, secret) {
		t.Fatal("the token's secret is shown again")
	}
	admin.submit(t, `table.tokens tbody tr:first-child form button`)
	admin.wantText(t, ".alert.notice", "revoked")
	s.call("GET", "/v1/me", secret, nil).want(t, 401, "unauthorized")
	admin.shot(t, "settings")

	// Deactivate (frees a seat), reactivate (takes it back), delete.
	admin.go_(t, adaURL)
	admin.fill(t, map[string]string{"reason": "parental leave"})
	admin.submit(t, `form[action$="/deactivate"] button`)
	admin.wantText(t, ".alert.notice", "deactivated")
	admin.wantText(t, ".history li:first-child", "parental leave")
	admin.wantText(t, "[data-seats]", "3 / 4")
	admin.submit(t, `form[action$="/reactivate"] button`)
	admin.wantText(t, ".alert.notice", "reactivated")
	admin.wantText(t, "[data-seats]", "4 / 4")
	admin.nav(t, "/admin/users?email=xss@example.com")
	admin.submit(t, "table.users a")
	admin.submit(t, `form[action$="/delete"] button`) // confirm() is accepted
	admin.wantText(t, "[data-seats]", "3 / 4")
	admin.nav(t, "/admin/users?email=xss@example.com")
	admin.wantText(t, "table.users", "No users")

	// A reader sees no write buttons.
	// Keyboard only: the reader signs in with the focused token field and
	// Enter; the first Tab reaches the skip link, which moves to the content.
	reader := b.session(t)
	reader.nav(t, "/admin/sign-in")
	reader.waitFor(t, `document.activeElement && document.activeElement.id === "token"`)
	evaluate[bool](t, reader, `document.body.dataset.old = "1"; true`)
	reader.do(t, chromedp.KeyEvent(tn.reader+kb.Enter))
	reader.waitFor(t, `document.readyState === "complete" && !document.body.dataset.old`)
	reader.wantText(t, "h1", "Users")
	reader.do(t, chromedp.KeyEvent(kb.Tab))
	reader.waitFor(t, `document.activeElement.classList.contains("skip")`)
	reader.do(t, chromedp.KeyEvent(kb.Enter))
	reader.waitFor(t, `location.hash === "#main" && document.activeElement.id === "main"`)
	reader.wantText(t, ".role", "read-only")
	reader.wantNone(t, `a[href="/admin/users/new"]`)
	reader.go_(t, adaURL)
	reader.wantNone(t, `a[href$="/edit"]`)
	reader.wantNone(t, `form[action$="/deactivate"], form[action$="/delete"]`)

	// A form posted from another origin (same site: another port of the same
	// host) is refused, and the user is still there.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form id=f method=post action="%s/delete"><input name=version value=3></form>`+
			`<script>document.getElementById("f").submit()</script>`, adaURL)
	}))
	defer evil.Close()
	admin.go_(t, evil.URL)
	admin.wantText(t, ".alert.error", "another site")
	admin.go_(t, adaURL)
	admin.wantText(t, "h1", "Ada")

	// Sign out: the console asks to sign in again.
	admin.submit(t, ".who button")
	admin.wantText(t, ".alert.notice", "signed out")
	admin.nav(t, "/admin/users")
	admin.wantText(t, "h1", "Sign in")
	admin.axe(t, "sign-in")
	admin.shot(t, "signin")
}

// TestConsoleHeadersAndCSRF checks, without a browser, the headers every page
// carries and that a state-changing request without the session's CSRF token
// is refused.
func TestConsoleHeadersAndCSRF(t *testing.T) {
	s := startService(t, "api", "AUTH_FAILURE_RATE", "0.05")
	tn := newTenant(t, 2)
	resp, err := noKeepAlive.Get(s.base + "/admin/sign-in")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("X-Frame-Options %q", resp.Header.Get("X-Frame-Options"))
	}

	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = client.PostForm(s.base+"/admin/sign-in", map[string][]string{"token": {tn.admin}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "console_session" {
			cookie = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("sign-in: %d, cookie %+v", resp.StatusCode, cookie)
	}
	req, _ := http.NewRequest(http.MethodPost, s.base+"/admin/users", strings.NewReader("email=csrf@example.com&given_name=A&family_name=B"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookie)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST without a CSRF token: %d, want 403", resp.StatusCode)
	}
	s.call("GET", "/v1/users?email=csrf@example.com", tn.admin, nil).want(t, 200, "")
	if got := s.call("GET", "/v1/users?email=csrf@example.com", tn.admin, nil).raw; strings.Contains(got, "csrf@") {
		t.Errorf("the refused request created a user: %s", got)
	}
	resp, err = client.PostForm(s.base+"/admin/sign-in", map[string][]string{"token": {"not-a-token"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("sign-in with a bad token: %d, want 401", resp.StatusCode)
	}

	// Every console route: a page without a session goes to sign in; a write
	// without the CSRF token, or from another origin, is refused before it
	// runs.
	page := func(path string) string {
		req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
		req.AddCookie(cookie)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page("/admin/settings"))
	if m == nil {
		t.Fatal("no CSRF token on the settings page")
	}
	fill := strings.NewReplacer("{id}", "01a24e0f-150e-76f1-8227-65896df3bc66", "{action}", "delete", "{$}", "")
	checked := map[string]int{}
	for _, rt := range console.Routes() {
		checked[rt.Access]++
		path := fill.Replace(rt.Pattern)
		switch rt.Access {
		case "read":
			resp, err := client.Get(s.base + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/sign-in") {
				t.Errorf("%s %s without a session: %d %s", rt.Method, path, resp.StatusCode, resp.Header.Get("Location"))
			}
		case "write":
			for _, c := range []struct{ csrf, origin string }{{"", s.base}, {"wrong", s.base}, {m[1], "http://evil.test"}} {
				req, _ := http.NewRequest(rt.Method, s.base+path, strings.NewReader(url.Values{"csrf": {c.csrf}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", c.origin)
				req.AddCookie(cookie)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s %s with csrf %q from %s: %d, want 403", rt.Method, path, c.csrf, c.origin, resp.StatusCode)
				}
			}
		}
	}

	if checked["read"] < 8 || checked["write"] < 9 {
		t.Fatalf("routes checked: %v", checked)
	}

	// An importer's console: users to read, imports to run, nothing to edit.
	resp, err = client.PostForm(s.base+"/admin/sign-in", map[string][]string{"token": {tn.importer}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "console_session" {
			cookie = c
		}
	}
	if html := page("/admin/users"); !strings.Contains(html, `href="/admin/imports"`) || strings.Contains(html, `href="/admin/users/new"`) ||
		!strings.Contains(html, "read-only") {
		t.Errorf("importer's users page:\n%s", html)
	}

	// Guessing tokens through the console meets the API's per-address budget
	// of failed authentications, as a guess over the API would.
	for i := 0; ; i++ {
		resp, err := client.PostForm(s.base+"/admin/sign-in", map[string][]string{"token": {"guess"}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "Too many failed sign-ins") {
			break
		}
		if i > 400 {
			t.Fatal("400 failed sign-ins through the console and no limit")
		}
	}
	// The same address, over the API too. The budget refills slowly here
	// (AUTH_FAILURE_RATE below): at the default 10 a second, one unit came
	// back in the 100 ms a loaded CI machine took to send the call, and it
	// was answered 200 (a fresh-clone CI run).
	s.call("GET", "/v1/users", tn.admin, nil).want(t, 429, "rate_limited")
}

// browserTools finds Chromium and axe-core (scripts/chromium-up.sh installs
// both): missing, the test fails under CI=true and is skipped elsewhere.
func browserTools(t *testing.T) (chromium string, axe string) {
	t.Helper()
	missing := func(what string, err error) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI=true: %v (scripts/chromium-up.sh installs it)", what, err)
		}
		t.Skipf("%s missing (%v); run `make browser` (under CI=true this fails)", what, err)
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if chromium, err = exec.LookPath("chromium-browser"); err != nil {
			missing("chromium", err)
		}
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "scripts", "browser", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		missing("axe-core", err)
	}
	return chromium, string(src)
}

// browser is one headless Chromium; each session is a browser context of
// its own (its own cookies), like another person's browser.
type browser struct {
	root context.Context
	base string
	axe  string
	xss  atomic.Bool
}

func newBrowser(t *testing.T, chromium, base, axe string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 800))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	root, cancelRoot := chromedp.NewContext(alloc)
	t.Cleanup(cancelRoot)
	if err := chromedp.Do(root); err != nil { // starts the browser
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium did not start: %v", err)
		}
		t.Skipf("chromium did not start (%v); under CI=true this fails", err)
	}
	return &browser{root: root, base: base, axe: axe}
}

// tab is one browser session (signed in or not).
type tab struct {
	b   *browser
	ctx context.Context
}

func (b *browser) session(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	tb := &tab{b: b, ctx: ctx}
	// The first run opens the tab and must have no timeout: the tab lives as
	// long as the context of that run.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	// Dialogs: data-confirm's confirm() is accepted; an alert saying xss means
	// a user's name ran as script.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			if strings.Contains(ev.Message, "xss") {
				b.xss.Store(true)
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return tb
}

// do runs the steps with a timeout.
func (tb *tab) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("browser at %s: %v", tb.where(), err)
	}
}

// evaluate runs JavaScript (awaiting a promise) and decodes its value.
func evaluate[T any](t *testing.T, tb *tab, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("browser at %s: %s: %v", tb.where(), firstLine(expr), err)
	}
	return v
}

func (tb *tab) where() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func (tb *tab) nav(t *testing.T, path string) { t.Helper(); tb.go_(t, tb.b.base+path) }

func (tb *tab) go_(t *testing.T, url string) {
	t.Helper()
	tb.do(t, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// location is the page's URL without its query.
func (tb *tab) location(t *testing.T) string {
	t.Helper()
	return strings.SplitN(tb.where(), "?", 2)[0]
}

func (tb *tab) signIn(t *testing.T, token string) {
	t.Helper()
	tb.nav(t, "/admin/sign-in")
	tb.do(t, chromedp.SetValue(chromedp.CSS("#token"), token))
	tb.submit(t, "form button.primary")
	tb.wantText(t, "h1", "Users")
}

// fill sets inputs by id (u-<field> on the user form, else the id itself).
func (tb *tab) fill(t *testing.T, values map[string]string) {
	t.Helper()
	for id, v := range values {
		tb.do(t, chromedp.SetValue(chromedp.CSS("#u-"+id+", #"+id), v))
	}
}

// submit clicks and waits until the next page has loaded.
func (tb *tab) submit(t *testing.T, sel string) {
	t.Helper()
	evaluate[bool](t, tb, `document.body.dataset.old = "1"; true`)
	tb.do(t, chromedp.Click(chromedp.CSS(sel)))
	tb.waitFor(t, `document.readyState === "complete" && !!document.body && !document.body.dataset.old`)
}

func (tb *tab) waitFor(t *testing.T, cond string) {
	t.Helper()
	tb.waitWithin(t, 30*time.Second, cond)
}

// waitWithin polls cond until it is true or within has passed.
func (tb *tab) waitWithin(t *testing.T, within time.Duration, cond string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("at %s: still not %s (%v)", tb.where(), cond, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (tb *tab) wantText(t *testing.T, sel, want string) {
	t.Helper()
	got := evaluate[string](t, tb, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel))
	if !strings.Contains(strings.ToLower(got), strings.ToLower(want)) {
		t.Fatalf("at %s: %s: %q does not contain %q", tb.where(), sel, strings.Join(strings.Fields(got), " "), want)
	}
}

func (tb *tab) wantNone(t *testing.T, sel string) {
	t.Helper()
	if n := evaluate[int](t, tb, fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)); n != 0 {
		t.Fatalf("at %s: %s: %d found, want none", tb.where(), sel, n)
	}
}

// axe runs axe-core on the page: no serious or critical violation.
func (tb *tab) axe(t *testing.T, name string) {
	t.Helper()
	evaluate[bool](t, tb, tb.b.axe+"\n;true")
	violations := evaluate[[]string](t, tb, `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => v.impact + " " + v.id + ": " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", ")))`)
	for _, v := range violations {
		t.Errorf("axe on %s: %s", name, v)
	}
}

// shot writes <name>-1280.png and <name>-390.png to CONSOLE_SCREENSHOTS
// (make screenshots); without it, nothing.
func (tb *tab) shot(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("CONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct{ w, h int64 }{{1280, 800}, {390, 844}} {
		tb.do(t, chromedp.EmulateViewport(size.w, size.h), chromedp.Reload(), chromedp.WaitReady(chromedp.CSS("body")))
		ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, size.w)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tb.do(t, chromedp.EmulateViewport(1280, 800))
}
