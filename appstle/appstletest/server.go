// Package appstletest is an in-process fake of Appstle Subscriptions' external
// API for tests and examples: it checks X-API-Key, looks customers up by id
// (numeric or gid) or email, answers Appstle's 400/401/404 rules as
// problem+json, issues HMAC-signed tokens carrying customerId, shop,
// timestamp and exp that expire after 2 hours, serves the
// manage-subscription-link and magic-link endpoints, and a
// /tools/recurring/customer_portal page that accepts the tokens.
//
// Like Appstle's server (JHipster), it answers an e-mail it does not know
// with 400 problem+json whose errorKey is "invalidCustomer" (an unknown
// customer id is 404), and it compares e-mails ignoring the case of ASCII
// letters only. Options make it answer as Appstle's server does where that
// differs from the docs: [WithOpaqueTokens] (portal tokens that are not
// JWTs) and [WithServerManageLinks] (the manage-link shape
// {manageSubscriptionLink, tokenExpirationTime} with a 7-day /cp/ link).
//
//	srv := appstletest.NewServer()
//	defer srv.Close()
//	client, _ := appstle.New(appstletest.APIKey, appstle.WithBaseURL(srv.URL()))
//
// With [WithWebhook] it delivers subscription.* webhooks signed as Svix
// signs Appstle's, and its valid-contracts endpoint agrees with what it
// fired.
//
// It listens on loopback only.
package appstletest

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/checkoutkit/checkoutkit/internal/fakesrv"
)

// Defaults the server starts with.
const (
	APIKey     = "apst_test_7d1c9e4b2a6f8e0d"
	Shop       = "mystore.myshopify.com"
	CustomerID = 12345
	Email      = "ada+subs@example.com"
	Lifetime   = 2 * time.Hour
)

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	fake       // serving and webhooks: see server_gen.go
	signingKey []byte

	keys      map[string]bool
	customers map[int64]string // id -> email
	now       func() time.Time
	noExp     bool
	opaque    bool
	opaqueTok map[string]opaqueToken
	cpLinks   bool
	tokens    int
	magic     []string

	contracts    map[int64]contract
	nextContract int64
	appKeys      []string
}

// WithClock sets the server's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithCustomer adds a customer.
func WithCustomer(id int64, email string) Option {
	return func(s *Server) { s.customers[id] = email }
}

// WithoutExpClaim issues tokens with only the timestamp claim, as Appstle's
// documented example does.
func WithoutExpClaim() Option { return func(s *Server) { s.noExp = true } }

// WithOpaqueTokens issues opaque portal tokens (random strings, not JWTs),
// as Appstle sometimes does: a client then cannot read an expiry from the
// token. They still expire after Lifetime, and the portal page accepts
// them.
func WithOpaqueTokens() Option { return func(s *Server) { s.opaque = true } }

// WithServerManageLinks answers the manage-subscription-link endpoint as
// Appstle's server builds the answer, instead of the documented shape:
// only {"manageSubscriptionLink": "https://<Shop>/apps/subscriptions/cp/<uid>",
// "tokenExpirationTime": "<ISO-8601, ManageLinkLifetime ahead, nanosecond
// precision>"}.
func WithServerManageLinks() Option { return func(s *Server) { s.cpLinks = true } }

// ManageLinkLifetime is how long a link from [WithServerManageLinks] lives.
const ManageLinkLifetime = 7 * 24 * time.Hour

type opaqueToken struct {
	customerID int64
	expires    time.Time
}

// NewServer starts a fake on a loopback port with one customer
// (CustomerID, Email) and one API key (APIKey).
func NewServer(opts ...Option) *Server {
	s := &Server{
		signingKey: make([]byte, 32),
		keys:       map[string]bool{APIKey: true},
		customers:  map[int64]string{CustomerID: Email},
		opaqueTok:  map[string]opaqueToken{},
		now:        time.Now,
		contracts:  map[int64]contract{},
		// contract ids start above Appstle's small example ids
		nextContract: 1000,
	}
	_, _ = rand.Read(s.signingKey)
	s.apply(opts)
	if s.webhookURL != "" {
		if _, err := SignBody(s.webhookSecret, "msg_check", s.now(), nil); err != nil {
			panic(err.Error())
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/external/v2/customer-portal-token", s.auth(s.portalToken))
	mux.HandleFunc("GET /api/external/v2/manage-subscription-link/{id}", s.auth(s.manageLink))
	mux.HandleFunc("GET /api/external/v2/subscription-contracts-email-magic-link", s.auth(s.magicLink))
	mux.HandleFunc("GET /tools/recurring/customer_portal", s.portalPage)
	mux.HandleFunc("GET /api/external/v2/subscription-customers/valid/{id}", s.auth(s.validContracts))
	s.start(mux)
	return s
}

// PortalPage is the fake's customer-portal page URL for token (the real one
// lives on the shop's domain; see appstle.PortalURL).
func (s *Server) PortalPage(token string) string {
	return s.srv.URL + "/tools/recurring/customer_portal?token=" + url.QueryEscape(token)
}

// Tokens reports how many portal tokens the server has issued.
//
// Deprecated: use [Server.PortalTokens], the name every fake uses.
func (s *Server) Tokens() int { return s.PortalTokens() }

// MagicLinksSent lists the addresses magic links were "emailed" to.
func (s *Server) MagicLinksSent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.magic...)
}

func (s *Server) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.keys[r.Header.Get("X-API-Key")] {
			problem(w, http.StatusUnauthorized, "Unauthorized", "Invalid or missing API key")
			return
		}
		next(w, r)
	}
}

// lookup finds a customer by customerId (numeric or gid) or email.
func (s *Server) lookup(w http.ResponseWriter, q url.Values) (int64, bool) {
	idParam, email := q.Get("customerId"), q.Get("email")
	if (idParam == "") == (email == "") {
		problem(w, http.StatusBadRequest, "Bad Request", "Either customerId or email is required")
		return 0, false
	}
	if idParam != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(idParam, "gid://shopify/Customer/"), 10, 64)
		if err != nil || id <= 0 {
			problem(w, http.StatusBadRequest, "Bad Request", "Invalid customerId")
			return 0, false
		}
		if _, ok := s.customers[id]; !ok {
			problem(w, http.StatusNotFound, "Not Found", "Customer not found")
			return 0, false
		}
		return id, true
	}
	for id, e := range s.customers {
		if equalFoldASCII(e, email) {
			return id, true
		}
	}
	invalidCustomer(w)
	return 0, false
}

// invalidCustomerBody is Appstle's (JHipster's) answer for an e-mail it
// does not know, verbatim.
const invalidCustomerBody = `{"entityName":"","errorKey":"invalidCustomer","type":"https://www.jhipster.tech/problem/problem-with-message","title":"Customer Email does not exist","status":400,"message":"error.invalidCustomer","params":""}`

func invalidCustomer(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = io.WriteString(w, invalidCustomerBody+"\n")
}

func (s *Server) issue(id int64) string {
	now := s.now()
	if s.opaque {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		tok := hex.EncodeToString(b)
		s.opaqueTok[tok] = opaqueToken{customerID: id, expires: now.Add(Lifetime)}
		s.tokens++
		return tok
	}
	claims := map[string]any{"customerId": id, "shop": Shop, "timestamp": now.Unix()}
	if !s.noExp {
		claims["exp"] = now.Add(Lifetime).Unix()
	}
	tok := fakesrv.SignJWT(s.signingKey, claims)
	s.tokens++
	return tok
}

func (s *Server) portalToken(w http.ResponseWriter, r *http.Request) {
	id, ok := s.lookup(w, r.URL.Query())
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customerId": id, "token": s.issue(id)})
}

func (s *Server) manageLink(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		problem(w, http.StatusBadRequest, "Bad Request", "customerId must be numeric")
		return
	}
	if _, ok := s.customers[id]; !ok {
		problem(w, http.StatusNotFound, "Not Found", "Customer not found")
		return
	}
	if s.cpLinks {
		uid := make([]byte, 8)
		_, _ = rand.Read(uid)
		writeJSON(w, http.StatusOK, map[string]any{
			"manageSubscriptionLink": "https://" + Shop + "/apps/subscriptions/cp/" + hex.EncodeToString(uid),
			"tokenExpirationTime":    s.now().Add(ManageLinkLifetime).UTC().Format("2006-01-02T15:04:05.000000000Z07:00"),
		})
		return
	}
	tok := s.issue(id)
	link := "https://" + Shop + "/tools/recurring/customer_portal?token=" + url.QueryEscape(tok)
	writeJSON(w, http.StatusOK, map[string]any{
		"manageSubscriptionLink": link,
		"tokenExpirationTime":    s.now().Add(Lifetime).UTC().Format(time.RFC3339),
		"expiresInMinutes":       int(Lifetime / time.Minute),
		"customerId":             id,
		"portalUrl":              link,
	})
}

func (s *Server) magicLink(w http.ResponseWriter, r *http.Request) {
	email := r.URL.Query().Get("email")
	if email == "" {
		problem(w, http.StatusBadRequest, "Bad Request", "email is required")
		return
	}
	if _, ok := s.lookup(w, url.Values{"email": {email}}); !ok {
		return
	}
	s.magic = append(s.magic, email)
	// Appstle's server answers plain text here, not JSON.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "Email triggered successfully.")
}

func (s *Server) portalPage(w http.ResponseWriter, r *http.Request) {
	if s.opaque {
		s.mu.Lock()
		ot, ok := s.opaqueTok[r.URL.Query().Get("token")]
		s.mu.Unlock()
		if !ok || !s.now().Before(ot.expires) {
			http.Error(w, "This link has expired.", http.StatusUnauthorized)
			return
		}
		s.portalHTML(w, r, ot.customerID)
		return
	}
	claims, err := fakesrv.ParseJWT(s.signingKey, r.URL.Query().Get("token"), s.now, false)
	if err == nil && s.noExp {
		ts, _ := claims["timestamp"].(float64)
		if s.now().After(time.Unix(int64(ts), 0).Add(Lifetime)) {
			err = fmt.Errorf("expired")
		}
	}
	if err != nil {
		http.Error(w, "This link has expired.", http.StatusUnauthorized)
		return
	}
	id, _ := claims["customerId"].(float64)
	s.portalHTML(w, r, int64(id))
}

// portalSubscription is one row of the portal page.
type portalSubscription struct {
	ID     int64
	Status string
}

// portalTmpl is the fake's customer portal: it looks like a provider's
// page, says plainly that it is a fake, lists the customer's subscription
// contracts and links back to the app. Tests find its parts by id: #fake,
// #customer, #subscriptions, #return.
var portalTmpl = template.Must(template.New("portal").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Subscriptions · Appstle (FAKE)</title>
<style>
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f1f6f4;color:#17302a}
.fake{margin:0;padding:8px 16px;background:#ffd24d;color:#3b2a00;font:600 13px/1.4 ui-monospace,Menlo,monospace;text-align:center;letter-spacing:.02em}
.bar{display:flex;align-items:center;gap:10px;padding:14px 28px;background:#0b5c4a;color:#fff}
.logo{width:26px;height:26px;border-radius:50%;background:#5fe0b7}
.brand{font-weight:700;font-size:18px}.brand small{font-weight:400;opacity:.8;margin-left:8px}
main{max-width:620px;margin:40px auto;padding:0 16px}
.card{background:#fff;border:1px solid #d5e6e0;border-radius:12px;padding:26px 30px;box-shadow:0 6px 24px rgba(11,92,74,.08)}
h1{margin:0 0 6px;font-size:24px}.who{margin:0 0 20px;color:#4f6b63}
ul{list-style:none;margin:0 0 22px;padding:0}
li{display:flex;justify-content:space-between;align-items:center;padding:12px 14px;border:1px solid #d5e6e0;border-radius:10px;margin-bottom:8px}
.status{font-size:12px;font-weight:700;padding:3px 9px;border-radius:999px;background:#d8f5ea;color:#0b5c4a}
.status.CANCELLED{background:#fde7e5;color:#a3271b}
.none{color:#4f6b63;font-style:italic}
a{color:#0b7a60;font-weight:600}
.foot{margin-top:18px;font-size:13px;color:#4f6b63}
</style></head><body>
<p class="fake" id="fake">FAKE Appstle customer portal (appstletest): not a real shop, no money moves</p>
<header class="bar"><span class="logo"></span><span class="brand">Appstle Subscriptions<small>customer portal</small></span></header>
<main><section class="card">
<h1>Your subscriptions</h1>
<p class="who">Signed in as Shopify customer <span id="customer">{{.Customer}}</span></p>
{{if .Subscriptions}}<ul id="subscriptions">{{range .Subscriptions}}
<li class="subscription"><span>Subscription <strong>#{{.ID}}</strong></span><span class="status {{.Status}}">{{.Status}}</span></li>{{end}}
</ul>{{else}}<p class="none" id="subscriptions">No subscriptions yet.</p>{{end}}
{{if .Return}}<p><a id="return" href="{{.Return}}">← Back to the store</a></p>{{end}}
</section>
<p class="foot">Served by checkoutkit's Appstle fake. The real portal lives on the shop's domain.</p></main>
</body></html>
`))

// portalHTML renders the portal page of customer id. Its Back link goes to
// the page's return_url parameter, and only when that is an http(s) URL on
// a loopback host: the fake serves loopback apps, and a link anywhere else
// would make it an open redirect.
func (s *Server) portalHTML(w http.ResponseWriter, r *http.Request, id int64) {
	s.mu.Lock()
	var subs []portalSubscription
	for cid, c := range s.contracts {
		if c.customerID == id {
			subs = append(subs, portalSubscription{cid, c.status})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(subs, func(a, b portalSubscription) int { return cmp.Compare(a.ID, b.ID) })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the URL carries the token
	_ = portalTmpl.Execute(w, map[string]any{
		"Customer": id, "Subscriptions": subs, "Return": loopbackReturn(r.URL.Query().Get("return_url")),
	})
}

// loopbackReturn is raw if it is an absolute http(s) URL whose host is a
// loopback address or localhost, else "".
func loopbackReturn(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
		return ""
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return ""
	}
	return u.String()
}

func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": title, "status": status, "detail": detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// equalFoldASCII reports whether a and b are equal once ASCII letters are
// lower-cased, and only those: strings.EqualFold would match the Kelvin
// sign (U+212A) with "k", so that \u212Aate@example.com found
// kate@example.com.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	lower := func(c byte) byte {
		if 'A' <= c && c <= 'Z' {
			return c + ('a' - 'A')
		}
		return c
	}
	for i := range len(a) {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}
