// Package bearer reads the bearer token of a request, the one way every HTTP
// port (the admin API, SCIM) does it.
package bearer

import (
	"net/http"
	"strings"
)

// Token extracts the token of "Authorization: Bearer <token>". The scheme is
// case-insensitive (RFC 9110); anything else (no header, two headers, another
// scheme, white space inside the token) is no token.
func Token(h http.Header) (string, bool) {
	values := h.Values("Authorization")
	if len(values) != 1 {
		return "", false
	}
	scheme, token, found := strings.Cut(values[0], " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}
