package console

import (
	"net/http"
	"strconv"
	"strings"
)

// maxRememberedJobs bounds the jobs list (and the cookie).
const maxRememberedJobs = 10

// rememberedJobs are the job ids of the jobs cookie, newest first. They are
// only ids: every one is read through the API with the session's token, so a
// forged cookie shows nothing of another tenant.
func rememberedJobs(r *http.Request) []string {
	ck, err := r.Cookie(jobsCookie)
	if err != nil {
		return nil
	}
	var ids []string
	for _, id := range strings.Split(ck.Value, ".") {
		if id != "" && len(ids) < maxRememberedJobs {
			ids = append(ids, id)
		}
	}
	return ids
}

func (c *console) rememberJob(w http.ResponseWriter, r *http.Request, id string) {
	ids := append([]string{id}, rememberedJobs(r)...)
	if len(ids) > maxRememberedJobs {
		ids = ids[:maxRememberedJobs]
	}
	http.SetCookie(w, &http.Cookie{Name: jobsCookie, Value: strings.Join(ids, "."), Path: Prefix, MaxAge: 30 * 24 * 3600,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
}

// safeFileName keeps letters, digits and dashes of s.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return -1
	}, s)
}

func itoa(n int) string { return strconv.Itoa(n) }
