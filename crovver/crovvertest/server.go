// Package crovvertest is an in-process fake of Crovver for tests and
// examples. It mints tenant checkout and portal tokens as Crovver documents
// (x-public-key, camelCase bodies, 201 with HS256 JWTs carrying the
// request's tenant and metadata, Crovver's error envelope and codes), and
// serves the /pricing and /billing pages those tokens open, which link back
// to the returnUrl: a whole redirect loop runs locally.
//
//	srv := crovvertest.NewServer()
//	defer srv.Close()
//	client, _ := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()))
//
// With [WithWebhook] it delivers subscription.* webhooks signed as Crovver
// signs them, and its status and can-access endpoints agree with what it
// fired.
//
// It listens on loopback only and counts what it mints.
package crovvertest

import (
	"cmp"
	"crypto/rand"
	"encoding/json"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// PublicKey is the key the server accepts unless told otherwise.
const PublicKey = "pk_test_4f8e2a9c1b7d3e5f"

// TokenLifetime is how long tokens live, as with Crovver.
const TokenLifetime = 10 * time.Minute

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	fake       // serving and webhooks: see server_gen.go
	signingKey []byte

	keys           map[string]bool
	now            func() time.Time
	tenants        map[string]string // tenant -> plan subscribed ("" if it only checked out)
	checkoutTokens int
	portalTokens   int
	failures       []int
	urlInData      bool
	subs           map[string]subscription // tenant -> its latest subscription

}

// WithURLInData answers as crovver-react's types have it: the page URL
// (checkoutUrl or portalUrl) inside data beside token and expiresAt, and no
// meta (so no expiresIn: a client reads the lifetime from expiresAt).
func WithURLInData() Option { return func(s *Server) { s.urlInData = true } }

// WithClock sets the server's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithPublicKey adds an accepted public key.
func WithPublicKey(key string) Option { return func(s *Server) { s.keys[key] = true } }

// WithSubscription starts the server with tenant subscribed to plan, so
// that portal tokens can be minted for it.
func WithSubscription(tenant, plan string) Option {
	return func(s *Server) { s.tenants[tenant] = plan }
}

// NewServer starts a fake on a loopback port. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{
		signingKey: make([]byte, 32),
		keys:       map[string]bool{PublicKey: true},
		now:        time.Now,
		tenants:    map[string]string{},
		subs:       map[string]subscription{},
	}
	_, _ = rand.Read(s.signingKey)
	s.apply(opts)
	for tenant, plan := range s.tenants {
		if plan != "" {
			s.subs[tenant] = s.newSubscription(tenant, "", plan)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/public/auth/checkout-token", s.mint("checkout"))
	mux.HandleFunc("POST /api/public/auth/portal-token", s.mint("portal"))
	mux.HandleFunc("GET /pricing", s.pricing)
	mux.HandleFunc("POST /pricing/subscribe", s.subscribe)
	mux.HandleFunc("GET /billing", s.billing)
	mux.HandleFunc("POST /billing/cancel", s.cancel)
	mux.HandleFunc("GET /api/public/subscriptions/status", keyed(s, s.status))
	mux.HandleFunc("POST /api/public/can-access", keyed(s, s.canAccess))
	s.start(mux)
	return s
}

// Subscription returns the plan tenant subscribed to on the pricing page.
func (s *Server) Subscription(tenant string) (plan string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	plan, ok = s.tenants[tenant]
	return plan, ok && plan != ""
}

// FailNext makes the next token requests answer with these statuses, each
// with the code Crovver documents for it (400 MISSING_REQUIRED_FIELDS, 401
// INVALID_PUBLIC_KEY, 404 TENANT_NOT_FOUND; any other INTERNAL_ERROR).
func (s *Server) FailNext(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, statuses...)
}

// failCodes is the documented code of each status FailNext can answer;
// any other is INTERNAL_ERROR.
var failCodes = map[int]string{
	http.StatusBadRequest:   "MISSING_REQUIRED_FIELDS",
	http.StatusUnauthorized: "INVALID_PUBLIC_KEY",
	http.StatusNotFound:     "TENANT_NOT_FOUND",
}

type mintRequest struct {
	ExternalTenantID   string         `json:"externalTenantId"`
	ReturnURL          string         `json:"returnUrl"`
	ExternalUserID     string         `json:"externalUserId"`
	ExternalTenantName string         `json:"externalTenantName"`
	RequiredFeature    string         `json:"requiredFeature"`
	RequiredPlan       string         `json:"requiredPlan"`
	Metadata           map[string]any `json:"metadata"`
}

func (s *Server) mint(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// Read and decode before taking the lock: a client stalling
		// mid-body must not hold up everyone else's mints.
		var req mintRequest
		decodeErr := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req)
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.failures) > 0 {
			code := s.failures[0]
			s.failures = s.failures[1:]
			writeError(w, code, cmp.Or(failCodes[code], "INTERNAL_ERROR"), http.StatusText(code))
			return
		}
		key := r.Header.Get("x-public-key")
		if key == "" {
			writeError(w, http.StatusBadRequest, "MISSING_PUBLIC_KEY", "Public key is required")
			return
		}
		if !s.keys[key] {
			writeError(w, http.StatusUnauthorized, "INVALID_PUBLIC_KEY", "Invalid public key")
			return
		}
		if decodeErr != nil {
			writeError(w, http.StatusBadRequest, "MISSING_REQUIRED_FIELDS", "Invalid JSON body")
			return
		}
		if u, err := url.Parse(req.ReturnURL); req.ExternalTenantID == "" || err != nil || u.Scheme == "" || u.Host == "" {
			writeError(w, http.StatusBadRequest, "MISSING_REQUIRED_FIELDS", "externalTenantId and a valid returnUrl are required")
			return
		}
		if kind == "portal" {
			plan, known := s.tenants[req.ExternalTenantID]
			switch {
			case !known:
				writeError(w, http.StatusNotFound, "TENANT_NOT_FOUND", "Tenant not found")
				return
			case plan == "":
				writeError(w, http.StatusNotFound, "NO_ACTIVE_SUBSCRIPTION", "Tenant has no active subscription")
				return
			}
		} else if _, known := s.tenants[req.ExternalTenantID]; !known {
			s.tenants[req.ExternalTenantID] = ""
		}

		now := s.now()
		exp := now.Add(TokenLifetime)
		claims := map[string]any{
			"kind": kind, "tenantId": req.ExternalTenantID, "returnUrl": req.ReturnURL,
			"iat": now.Unix(), "exp": exp.Unix(),
		}
		for k, v := range map[string]any{
			"userId": req.ExternalUserID, "tenantName": req.ExternalTenantName,
			"requiredFeature": req.RequiredFeature, "requiredPlan": req.RequiredPlan,
		} {
			if v != "" {
				claims[k] = v
			}
		}
		if len(req.Metadata) > 0 {
			claims["metadata"] = req.Metadata
		}
		tok := fakesrv.SignJWT(s.signingKey, claims)
		meta := map[string]any{"expiresIn": int(TokenLifetime / time.Second)}
		if kind == "portal" {
			s.portalTokens++
			meta["portalUrl"] = s.srv.URL + "/billing?token=" + url.QueryEscape(tok)
		} else {
			s.checkoutTokens++
			meta["checkoutUrl"] = s.srv.URL + "/pricing?token=" + url.QueryEscape(tok)
		}
		data := map[string]any{"token": tok, "expiresAt": exp.UTC().Format(time.RFC3339)}
		body := map[string]any{"success": true, "data": data, "meta": meta}
		if s.urlInData {
			delete(meta, "expiresIn") // crovver-react's data has none
			maps.Copy(data, meta)
			delete(body, "meta")
		}
		writeJSON(w, http.StatusCreated, body)
	}
}

// claims checks a page token and returns its claims.
func (s *Server) claims(raw, kind string) (map[string]any, bool) {
	claims, err := fakesrv.ParseJWT(s.signingKey, raw, s.now, true)
	return claims, err == nil && claims["kind"] == kind
}

// page is the fake's pricing and billing page: it looks like a provider's
// hosted page (a brand bar, a card) and says plainly that it is a fake.
// Tests find its parts by id: #fake, #tenant, #plan, #cancel, #return and
// button[name="plan"].
var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Crovver (FAKE)</title>
<style>
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f2fb;color:#1f1b2e}
.fake{margin:0;padding:8px 16px;background:#ffd24d;color:#3b2a00;font:600 13px/1.4 ui-monospace,Menlo,monospace;text-align:center;letter-spacing:.02em}
.bar{display:flex;align-items:center;gap:10px;padding:14px 28px;background:#fff;border-bottom:1px solid #e4e0f2}
.logo{width:28px;height:28px;border-radius:8px;background:linear-gradient(135deg,#6d4aff,#b44aff)}
.brand{font-weight:700;font-size:18px;color:#3a2a8c}
.brand small{font-weight:500;color:#7d76a0;margin-left:6px}
main{max-width:560px;margin:40px auto;padding:0 16px}
.card{background:#fff;border:1px solid #e4e0f2;border-radius:14px;padding:28px 32px;box-shadow:0 6px 24px rgba(58,42,140,.08)}
h1{margin:0 0 18px;font-size:24px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:0 0 22px}
dt{color:#7d76a0}dd{margin:0;font-weight:600}
.plan{border:2px solid #6d4aff;border-radius:12px;padding:16px 18px;margin:0 0 20px}
.plan strong{font-size:18px;text-transform:capitalize}.plan p{margin:4px 0 0;color:#5b5577}
button{font:inherit;font-weight:600;border:0;border-radius:10px;padding:11px 20px;cursor:pointer;background:#6d4aff;color:#fff}
button.danger{background:#fff;color:#b42318;border:1px solid #f0b8b3}
form{margin:0 0 18px}
a{color:#5a3df0}
.foot{margin-top:18px;font-size:13px;color:#7d76a0}
</style></head><body>
<p class="fake" id="fake">FAKE Crovver (crovvertest): not a real checkout, no money moves</p>
<header class="bar"><span class="logo"></span><span class="brand">Crovver<small>{{.Title}}</small></span></header>
<main><section class="card">
<h1>{{.Title}}</h1>
<dl><dt>Tenant</dt><dd><span id="tenant">{{.Tenant}}</span></dd>
{{if .Plan}}<dt>Plan</dt><dd><span id="plan">{{.Plan}}</span></dd>{{end}}</dl>
{{if .Plan}}{{if .Token}}<form method="post" action="/billing/cancel">
<input type="hidden" name="token" value="{{.Token}}">
<button class="danger" id="cancel">Cancel subscription</button>
</form>{{end}}{{end}}
{{if .Subscribe}}<div class="plan"><strong>{{.Subscribe}}</strong><p>Everything in free, plus more seats and priority support. Billed monthly.</p></div>
<form method="post" action="/pricing/subscribe">
<input type="hidden" name="token" value="{{.Token}}">
<button name="plan" value="{{.Subscribe}}">Subscribe to {{.Subscribe}}</button>
</form>{{end}}
<p><a id="return" href="{{.ReturnURL}}">← Back to the app</a></p>
</section>
<p class="foot">Served by checkoutkit's Crovver fake. The real pages live on Crovver's domain.</p></main>
</body></html>
`))

type pageData struct {
	Title, Tenant, Plan, Subscribe, Token, ReturnURL string
}

func (s *Server) pricing(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	claims, ok := s.claims(tok, "checkout")
	if !ok {
		http.Error(w, "invalid or expired checkout token", http.StatusUnauthorized)
		return
	}
	plan, _ := claims["requiredPlan"].(string)
	if plan == "" {
		plan = "pro"
	}
	s.render(w, pageData{Title: "Choose a plan", Tenant: str(claims["tenantId"]), Subscribe: plan, Token: tok, ReturnURL: str(claims["returnUrl"])})
}

func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.claims(r.FormValue("token"), "checkout")
	if !ok {
		http.Error(w, "invalid or expired checkout token", http.StatusUnauthorized)
		return
	}
	plan := r.FormValue("plan")
	tenant := str(claims["tenantId"])
	s.mu.Lock()
	s.tenants[tenant] = plan
	sub := s.newSubscription(tenant, str(claims["tenantName"]), plan)
	s.subs[tenant] = sub
	s.fire(sub, "subscription.created", "subscription.activated")
	s.mu.Unlock()
	back, err := url.Parse(str(claims["returnUrl"]))
	if err != nil {
		http.Error(w, "bad returnUrl", http.StatusBadRequest)
		return
	}
	q := back.Query()
	q.Set("status", "success")
	back.RawQuery = q.Encode()
	http.Redirect(w, r, back.String(), http.StatusSeeOther)
}

func (s *Server) billing(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.claims(r.URL.Query().Get("token"), "portal")
	if !ok {
		http.Error(w, "invalid or expired portal token", http.StatusUnauthorized)
		return
	}
	tenant := str(claims["tenantId"])
	s.mu.Lock()
	plan := s.tenants[tenant]
	s.mu.Unlock()
	s.render(w, pageData{Title: "Billing", Tenant: tenant, Plan: plan, Token: r.URL.Query().Get("token"), ReturnURL: str(claims["returnUrl"])})
}

func (s *Server) render(w http.ResponseWriter, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := page.Execute(w, d); err != nil {
		http.Error(w, "render failed", http.StatusInternalServerError)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"success": false, "data": nil, "error": map[string]string{"message": msg, "code": code}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
