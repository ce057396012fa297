// Package web serves Haven's pages for browsers. Today that is the join
// page, where every invite link leads (GET /join/CODE): it tells a person
// how to join with the terminal app. The web app, when it comes, is
// served from here too and takes that route over.
package web

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"regexp"

	"github.com/havenchat/haven/internal/core"
)

// joinStyle is the page's only style. The Content-Security-Policy allows
// exactly this text, by its hash, and nothing else: no script, no other
// source of any kind.
const joinStyle = `body{font:16px/1.5 system-ui,sans-serif;max-width:38em;margin:2em auto;padding:0 1em;color:#222;background:#fff}` +
	`h1{font-size:1.4em}code,pre{font:14px/1.4 ui-monospace,monospace;background:#f2f2f2;border-radius:4px}` +
	`pre{padding:.6em .8em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}` +
	`@media (prefers-color-scheme:dark){body{color:#ddd;background:#181818}code,pre{background:#2a2a2a}}`

// joinCSP is the page's Content-Security-Policy.
var joinCSP = func() string {
	h := sha256.Sum256([]byte(joinStyle))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

// joinPage is the page; it loads nothing and links nowhere.
var joinPage = template.Must(template.New("join").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{if .Signup}}An invitation to Haven{{else}}An invitation to a chat on Haven{{end}}</title>
<style>{{.Style}}</style>
</head>
<body>
{{if .Signup -}}
<h1>You are invited to Haven</h1>
<p>Someone invited you to make an account on the Haven server at <code>{{.Base}}</code>.</p>
<p>With Haven's terminal app, run:</p>
<pre>haven login {{.Link}}</pre>
<p>It asks for your phone number or email address, the code the server sends there, and your name.
Or run <code>haven login --server {{.Base}}</code> and give this invite code when it asks for one:</p>
<pre>{{.Code}}</pre>
<p>The code is for you: keep it to yourself until you have used it.</p>
{{- else -}}
<h1>You are invited to a chat</h1>
<p>Someone invited you to a chat on the Haven server at <code>{{.Base}}</code>.</p>
<p>With Haven's terminal app:</p>
<ol>
<li>Sign in, or make an account (the server may ask for an invite code for that):<pre>haven login --server {{.Base}}</pre></li>
<li>Open the app with <code>haven chat</code>, press <b>Ctrl+L</b> and paste this link:<pre>{{.Link}}</pre></li>
</ol>
{{- end}}
</body>
</html>
`))

// chatInviteHash is what a chat invite's hash may look like: base64url,
// as core makes them, with room to spare. Anything else is no invite, and
// is answered 404 rather than shown back.
var chatInviteHash = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// JoinPage answers GET /join/{code}: the page of a sign-up invite (its
// code has the form core.IsSignupInviteCode tells) or of a chat invite.
// It looks nothing up, so it says nothing about whether the invite
// exists or where it leads. base is the server's public address, or ""
// when it does not know it: the request's own host is shown then.
func JoinPage(base string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := r.PathValue("code")
		signup := core.IsSignupInviteCode(code)
		if !signup && !chatInviteHash.MatchString(code) {
			http.NotFound(w, r)
			return
		}
		b := base
		if b == "" {
			scheme := "http://"
			if r.TLS != nil {
				scheme = "https://"
			}
			b = scheme + r.Host
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", joinCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		// The page carries a secret: no cache keeps it.
		h.Set("Cache-Control", "no-store")
		_ = joinPage.Execute(w, struct {
			Signup           bool
			Base, Link, Code string
			Style            template.CSS
		}{signup, b, b + core.JoinPath + code, code, template.CSS(joinStyle)})
	})
}
