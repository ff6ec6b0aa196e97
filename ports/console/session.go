package console

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// sessionCookie holds the sealed session. Its path is the console's, so the
// browser never sends it to the API or SCIM routes.
const sessionCookie = "console_session"

// session is what the console knows about a signed-in person. It travels in
// the cookie, sealed (encrypted and authenticated), so the API token never
// reaches page scripts (HttpOnly) nor anyone reading the cookie; the server
// keeps no session state, and revoking the token ends the session at its next
// request, since every page calls the API with it.
type session struct {
	Token       string    `json:"t"`
	TenantID    string    `json:"n"`
	TokenID     string    `json:"i"`
	Role        string    `json:"r"`
	Permissions []string  `json:"p"`
	CSRF        string    `json:"c"`
	Expires     time.Time `json:"e"`
}

// Can reports whether the token holds the API permission (users:write...).
func (s session) Can(perm string) bool { return slices.Contains(s.Permissions, perm) }

// errNoSession is any missing, tampered or expired cookie.
var errNoSession = errors.New("console: not signed in")

// sealer seals sessions with AES-256-GCM.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(key []byte) (sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, fmt.Errorf("console: session key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return sealer{}, fmt.Errorf("console: session cipher: %w", err)
	}
	return sealer{aead: aead}, nil
}

func (s sealer) seal(sess session) (string, error) {
	plain, err := json.Marshal(sess)
	if err != nil {
		return "", fmt.Errorf("console: encode session: %w", err)
	}
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("console: session nonce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(sessionCookie))), nil
}

func (s sealer) open(value string, now time.Time) (session, error) {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return session{}, errNoSession
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(sessionCookie))
	if err != nil {
		return session{}, errNoSession
	}
	var sess session
	if err := json.Unmarshal(plain, &sess); err != nil || sess.Token == "" || !now.Before(sess.Expires) {
		return session{}, errNoSession
	}
	return sess, nil
}

// sessionFrom reads the request's session.
func (c *console) sessionFrom(r *http.Request) (session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, errNoSession
	}
	return c.sessions.open(ck.Value, time.Now())
}

// setSession writes the cookie: HttpOnly, SameSite=Strict, Secure when the
// console is served over TLS, living no longer than the session.
func (c *console) setSession(w http.ResponseWriter, r *http.Request, sess session) error {
	value, err := c.sessions.seal(sess)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: value, Path: Prefix, Expires: sess.Expires,
		MaxAge: int(time.Until(sess.Expires).Seconds()), HttpOnly: true, Secure: c.secure(r),
		SameSite: http.SameSiteStrictMode})
	return nil
}

// clearSession removes the cookie.
func (c *console) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true,
		Secure: c.secure(r), SameSite: http.SameSiteStrictMode})
}

// newCSRFToken is the random token every form of a session carries.
func newCSRFToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("console: csrf token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
