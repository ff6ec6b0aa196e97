package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// newUserPage shows the empty creation form.
func (c *console) newUserPage(w http.ResponseWriter, r *http.Request, s session) {
	if !s.Can("users:write") {
		c.render(w, r, http.StatusForbidden, "error", s, view{Title: "Read-only", Error: "Your token may not create users."})
		return
	}
	page := newUserPage("", map[string]any{}, nil)
	c.render(w, r, http.StatusOK, "userform", s, view{Title: "New user", Nav: "users", Data: page})
}

// formUser reads the editable fields the form has: trimmed values, "" when
// empty, and the values the form was loaded with (orig_<key>).
func formUser(r *http.Request) (values, orig map[string]string) {
	values, orig = map[string]string{}, map[string]string{}
	for _, f := range userFields {
		if _, has := r.PostForm[f.Key]; f.Input != "" && has {
			values[f.Key] = strings.TrimSpace(r.PostForm.Get(f.Key))
			orig[f.Key] = r.PostForm.Get("orig_" + f.Key)
		}
	}
	return values, orig
}

// createUser posts the form to POST /v1/users: empty optional fields are
// left out, the API validates everything.
func (c *console) createUser(w http.ResponseWriter, r *http.Request, s session) {
	values, _ := formUser(r)
	body := map[string]any{}
	for k, v := range values {
		if v != "" {
			body[k] = v
		}
	}
	hdr := http.Header{}
	if key := r.PostFormValue("idempotency_key"); key != "" {
		hdr.Set("Idempotency-Key", key) // a double submit creates one user
	}
	res, err := c.api.jsonCall(r, s, http.MethodPost, "/v1/users", body, hdr)
	if err != nil || res.status == http.StatusUnauthorized || res.status >= 500 {
		c.fail(w, r, s, res, err)
		return
	}
	if !res.ok() {
		p := res.problem()
		page := newUserPage("", toAny(values), fieldErrorsOf(p))
		c.render(w, r, http.StatusUnprocessableEntity, "userform", s, view{Title: "New user", Nav: "users", Data: page,
			Error: p.Message()})
		return
	}
	http.Redirect(w, r, strings.Replace(res.header.Get("Location"), "/v1/users/", "/admin/users/", 1)+"?done=created",
		http.StatusSeeOther)
}

// editUserPage shows the edit form with the current version.
func (c *console) editUserPage(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	u, res, err := c.getUser(r, s, id)
	if err != nil || !res.ok() {
		c.fail(w, r, s, res, err)
		return
	}
	c.render(w, r, http.StatusOK, "userform", s, view{Title: "Edit " + userLabel(u), Nav: "users",
		Data: newUserPage(id, u, nil)})
}

// saveUser sends the fields that were changed as a merge patch with
// If-Match: the version the form was loaded with. A 412 shows the other
// version; X-Changed: false says nothing changed.
func (c *console) saveUser(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	values, orig := formUser(r)
	patch := map[string]any{}
	for k, v := range values {
		switch {
		case normalizeLines(v) == normalizeLines(orig[k]):
		case inputOf(k) == listInput:
			patch[k] = parseList(v) // a list is replaced whole (JSON merge patch)
		case v == "" && !isRequired(k):
			patch[k] = nil // clears the field
		default:
			patch[k] = v
		}
	}
	version := r.PostFormValue("version")
	hdr := http.Header{}
	hdr.Set("If-Match", `"`+version+`"`)
	res, err := c.api.do(r, apiCall{method: http.MethodPatch, path: "/v1/users/" + url.PathEscape(id),
		token: s.Token, header: hdr, contentType: "application/merge-patch+json", body: jsonBody(patch)})
	if err != nil || res.status == http.StatusUnauthorized || res.status >= 500 {
		c.fail(w, r, s, res, err)
		return
	}
	if res.ok() {
		done := "saved"
		if res.header.Get("X-Changed") == "false" {
			done = "unchanged"
		}
		http.Redirect(w, r, "/admin/users/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
		return
	}
	p := res.problem()
	form := toAny(values)
	form["version"], _ = strconv.ParseFloat(version, 64)
	form["status"] = r.PostFormValue("status")
	page := newUserPage(id, form, fieldErrorsOf(p))
	for i := range page.Fields {
		page.Fields[i].Orig = orig[page.Fields[i].Key]
	}
	v := view{Title: "Edit", Nav: "users", Data: page, Error: p.Message()}
	if res.status == http.StatusPreconditionFailed || p.Code == "version_conflict" {
		other, _, _ := c.getUser(r, s, id)
		page.Conflict = other
		v.Error = fmt.Sprintf("Changed by someone else: this user is now at version %s. "+
			"Your changes were not saved; compare below, then reload the latest version and edit again.",
			displayValue(other["version"]))
	}
	c.render(w, r, res.status, "userform", s, v)
}

// userAction runs deactivate, reactivate or delete, with If-Match.
func (c *console) userAction(w http.ResponseWriter, r *http.Request, s session) {
	id := r.PathValue("id")
	action := r.PathValue("action")
	hdr := http.Header{}
	hdr.Set("If-Match", `"`+r.PostFormValue("version")+`"`)
	path := "/v1/users/" + url.PathEscape(id)
	var (
		res apiResult
		err error
	)
	switch action {
	case "deactivate":
		body := map[string]any{}
		if reason := strings.TrimSpace(r.PostFormValue("reason")); reason != "" {
			body["reason"] = reason
		}
		res, err = c.api.jsonCall(r, s, http.MethodPost, path+"/deactivate", body, hdr)
	case "reactivate":
		res, err = c.api.jsonCall(r, s, http.MethodPost, path+"/reactivate", nil, hdr)
	case "delete":
		res, err = c.api.jsonCall(r, s, http.MethodDelete, path, nil, hdr)
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil || !res.ok() {
		if res.status == http.StatusPreconditionFailed {
			c.render(w, r, res.status, "error", s, view{Title: "Changed by someone else", Nav: "users",
				Error: "This user was changed by someone else since you loaded the page. Nothing was done.",
				Data:  "/admin/users/" + id})
			return
		}
		c.fail(w, r, s, res, err)
		return
	}
	if action == "delete" {
		http.Redirect(w, r, "/admin/users?deleted=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/admin/users/"+url.PathEscape(id)+"?done="+action+"d", http.StatusSeeOther)
}

// inputOf is the field's Input.
func inputOf(key string) string {
	for _, f := range userFields {
		if f.Key == key {
			return f.Input
		}
	}
	return ""
}

// normalizeLines compares form text across browsers' line endings.
func normalizeLines(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }

func isRequired(key string) bool {
	for _, f := range userFields {
		if f.Key == key {
			return f.Required
		}
	}
	return false
}

// fieldErrorsOf places the API's per-field errors; an e-mail or external id
// that is taken belongs next to its field too.
func fieldErrorsOf(p problem) map[string]string {
	errs := p.FieldErrors()
	switch p.Code {
	case "email_taken":
		errs["email"] = p.Message()
	case "external_id_taken":
		errs["external_id"] = p.Message()
	case "username_taken":
		errs["username"] = p.Message()
	case "manager_not_found", "manager_cycle":
		errs["manager_id"] = p.Message()
	}
	return errs
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
