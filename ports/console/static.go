package console

import (
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// staticFiles serves the embedded assets/static files: whole files only, no
// directory listing and no Range requests (http.FileServer's Range parsing
// is where govulncheck finds GO-2026-6609 on go1.26.8; two small files need
// none of it). They are not named by content, so a browser asks again each
// time (no-cache): an upgrade never runs with the old script.
func staticFiles() http.Handler {
	static, _ := fs.Sub(assets, "assets/static") // the embedded folder exists: fs.Sub cannot fail here
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/admin/static/")
		if name == "" || strings.Contains(name, "/") || strings.HasPrefix(name, ".") {
			http.NotFound(w, r)
			return
		}
		body, err := fs.ReadFile(static, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-cache")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(body)
	})
}
