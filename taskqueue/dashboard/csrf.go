package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
)

// The session cookie and the form field that carry the CSRF defence.
const (
	// SessionCookie names the cookie that holds the dashboard session: a
	// random value, HttpOnly and SameSite=Strict, scoped to the prefix.
	SessionCookie = "seedcore_ui_session"
	// CSRFField names the form field that carries the session's token, an
	// HMAC-SHA256 of the session value under Config.CSRFKey.
	CSRFField = "csrf_token"
)

// sessionBytes is the length of a session value before encoding.
const sessionBytes = 32

var (
	errNoSession = errors.New("no session cookie")
	errBadToken  = errors.New("missing or invalid CSRF token")
)

// session returns the request's session value, issuing a new cookie on w
// when the request has no usable one.
func (d *Dashboard) session(w http.ResponseWriter, r *http.Request) string {
	if v, ok := sessionValue(r); ok {
		return v
	}
	b := make([]byte, sessionBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	v := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    v,
		Path:     d.cfg.Prefix + "/",
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	return v
}

// sessionValue returns the request's session cookie when it is well
// formed.
func sessionValue(r *http.Request) (string, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || len(b) != sessionBytes {
		return "", false
	}
	return c.Value, true
}

// token returns the CSRF token of a session.
func (d *Dashboard) token(session string) string {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte("seedcore dashboard csrf\x00"))
	m.Write([]byte(session))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF rejects a state-changing request that another site could have
// made: one the browser marks as cross-site (Sec-Fetch-Site, or an Origin
// that is not this host), or one whose form token is not the HMAC of its
// session cookie.
func (d *Dashboard) checkCSRF(r *http.Request) error {
	if err := d.cop.Check(r); err != nil {
		return err
	}
	session, ok := sessionValue(r)
	if !ok {
		return errNoSession
	}
	got, err := base64.RawURLEncoding.DecodeString(r.PostFormValue(CSRFField))
	if err != nil || len(got) == 0 {
		return errBadToken
	}
	want, _ := base64.RawURLEncoding.DecodeString(d.token(session))
	if !hmac.Equal(got, want) {
		return errBadToken
	}
	return nil
}
