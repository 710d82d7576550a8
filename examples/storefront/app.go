package main

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/altpay/altpaytest"
	"github.com/checkoutkit/checkoutkit/appstle"
	"github.com/checkoutkit/checkoutkit/appstle/appstletest"
	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

//go:embed web
var web embed.FS

// User is a signed-in demo user and what the providers know them by.
type User struct {
	Name       string
	Tenant     string // Crovver external tenant id
	ShopifyID  string // Appstle: the Shopify customer
	CustomerID string // Alternative Payments customer
	InvoiceID  string // the invoice to pay
	Amount     string
}

// demoContract is the demo customer's Appstle subscription contract on the
// in-process fake.
const demoContract = 1001

var demoUser = User{
	Name: "ada", Tenant: "acme", ShopifyID: strconv.Itoa(appstletest.CustomerID),
	CustomerID: "cus_ada", InvoiceID: "inv_1001", Amount: "€49.00",
}

// App is the storefront: its pages, its session, and one client per
// provider (on the fakes unless credentials are set).
type App struct {
	origin   string
	mux      *http.ServeMux
	pages    *template.Template
	csrf     *http.CrossOriginProtection // refuses cross-site POSTs
	sessions *sessions
	logger   *slog.Logger
	user     User
	closers  []func()

	cache                       *tokencache.Cache // one for the three clients, instrumented
	metrics                     http.Handler
	registry                    *prometheus.Registry
	crv                         *crovver.Client
	apst                        *appstle.Client
	ap                          *altpay.Client
	shop                        string // the shop domain Appstle's portal lives on
	crovverBase                 string // CROVVER_BASE_URL, "" for Crovver's own
	payAPI                      string // Alternative Payments' browser-facing API, for the page's script
	accounts                    *accounts
	hold                        bool             // the fakes hold their webhooks until flushed (tests)
	clock                       func() time.Time // the token cache's clock; nil: time.Now
	crovverSecret, altpaySecret string           // what the providers sign webhooks with; "" turns them off
	refreshes                   atomic.Int32     // calls to the checkout-token endpoint

	// The fakes, when the app runs on them.
	Crovver *crovvertest.Server
	Appstle *appstletest.Server
	Altpay  *altpaytest.Server
}

// NewApp builds the app for origin (its own scheme://host:port), with real
// providers where getenv has credentials and fakes elsewhere. Logs go to
// logw.
func NewApp(origin string, getenv func(string) string, logw io.Writer, opts ...appOption) (*App, error) {
	a := &App{
		accounts: newAccounts(),
		origin:   origin,
		mux:      http.NewServeMux(),
		csrf:     http.NewCrossOriginProtection(),
		sessions: newSessions(sessionTTL),
		logger:   slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelWarn})),
		user:     demoUser,
	}
	for _, o := range opts {
		o(a)
	}
	var err error
	if a.pages, err = template.New("").Funcs(template.FuncMap{"providers": a.providers}).ParseFS(web, "web/*.html"); err != nil {
		return nil, err
	}
	if err := a.setupMetrics(); err != nil {
		return nil, err
	}
	for _, setup := range []func(getenv func(string) string) error{a.setupCrovver, a.setupAppstle, a.setupAltpay} {
		if err := setup(getenv); err != nil {
			a.Close()
			return nil, err
		}
	}
	a.routes()
	if err := a.pointFakes(); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) setupCrovver(getenv func(string) string) error {
	key, base := getenv("CROVVER_PUBLIC_KEY"), getenv("CROVVER_BASE_URL")
	a.crovverBase = base
	a.crovverSecret = webhookSecret(getenv, "CROVVER_WEBHOOK_SECRET", key == "")
	if key == "" {
		a.Crovver = crovvertest.NewServer(heldIf(a, crovvertest.WithWebhooksHeld()))
		a.closers = append(a.closers, a.Crovver.Close)
		key, base = crovvertest.PublicKey, a.Crovver.URL()
	}
	opts := []crovver.Option{crovver.WithLogger(a.logger), crovver.WithCache(a.cache)}
	if base != "" {
		opts = append(opts, crovver.WithBaseURL(base))
	}
	c, err := crovver.New(key, opts...)
	if err != nil {
		return err
	}
	a.crv = c
	a.closers = append(a.closers, func() { c.Close() })
	return nil
}

func (a *App) setupAppstle(getenv func(string) string) error {
	key, base := getenv("APPSTLE_API_KEY"), getenv("APPSTLE_BASE_URL")
	a.shop = getenv("APPSTLE_SHOP")
	if id := getenv("APPSTLE_CUSTOMER_ID"); id != "" {
		a.user.ShopifyID = id
	}
	if key == "" {
		// The demo customer has a subscription, for the portal to list.
		a.Appstle = appstletest.NewServer(appstletest.WithContract(appstletest.CustomerID, demoContract))
		a.closers = append(a.closers, a.Appstle.Close)
		// The fake serves the portal page itself: a loopback origin stands
		// in for the shop's domain (plain http is refused for any other).
		key, base, a.shop = appstletest.APIKey, a.Appstle.URL(), a.Appstle.URL()
	}
	opts := []appstle.Option{appstle.WithLogger(a.logger), appstle.WithCache(a.cache)}
	if base != "" {
		opts = append(opts, appstle.WithBaseURL(base))
	}
	c, err := appstle.New(key, opts...)
	if err != nil {
		return err
	}
	a.apst = c
	a.closers = append(a.closers, func() { c.Close() })
	return nil
}

func (a *App) setupAltpay(getenv func(string) string) error {
	id, secret, base := getenv("ALTPAY_CLIENT_ID"), getenv("ALTPAY_CLIENT_SECRET"), getenv("ALTPAY_BASE_URL")
	if v := getenv("ALTPAY_CUSTOMER_ID"); v != "" {
		a.user.CustomerID = v
	}
	if v := getenv("ALTPAY_INVOICE_ID"); v != "" {
		a.user.InvoiceID = v
	}
	fake := id == "" || secret == ""
	a.altpaySecret = webhookSecret(getenv, "ALTPAY_WEBHOOK_SECRET", fake)
	if fake {
		a.Altpay = altpaytest.NewServer(altpaytest.WithAllowedOrigin(a.origin), heldIf(a, altpaytest.WithWebhooksHeld()))
		a.closers = append(a.closers, a.Altpay.Close)
		id, secret, base = altpaytest.ClientID, altpaytest.ClientSecret, a.Altpay.URL()
	}
	if base == "" {
		base = altpay.DemoBaseURL
	}
	a.payAPI = strings.TrimRight(base, "/")
	c, err := altpay.New(id, secret, altpay.WithBaseURL(base), altpay.WithLogger(a.logger), altpay.WithCache(a.cache))
	if err != nil {
		return err
	}
	a.ap = c
	a.closers = append(a.closers, func() { c.Close() })
	return nil
}

// appOption configures an App.
type appOption func(*App)

// withClock runs the app's token cache on now instead of time.Now, so that
// a test can let time pass (the refresh handler's minimum token age).
func withClock(now func() time.Time) appOption { return func(a *App) { a.clock = now } }

// withHeldWebhooks makes the in-process fakes hold their webhooks until a
// test flushes them, to look at the app before a provider reports.
func withHeldWebhooks() appOption { return func(a *App) { a.hold = true } }

// heldIf returns o if the app holds the fakes' webhooks, else the zero
// option (nil, which the fakes ignore).
func heldIf[O any](a *App, o O) O {
	var none O
	if a.hold {
		return o
	}
	return none
}

// providers says, for the footer, where each provider runs: an in-process
// fake, a fake on loopback (what `checkoutkit fakes` serves), or the real
// provider.
func (a *App) providers() string {
	where := func(name string, inProcess bool, base string) string {
		switch {
		case inProcess:
			return name + " (in-process fake)"
		case isLoopback(base):
			return name + " (fake at " + origin(base) + ")"
		}
		return name
	}
	return strings.Join([]string{
		where("Crovver", a.Crovver != nil, a.crovverBase), where("Appstle", a.Appstle != nil, a.shop),
		where("Alternative Payments", a.Altpay != nil, a.payAPI),
	}, ", ")
}

// isLoopback reports whether raw is a URL on a loopback host: a fake, since
// no real provider serves there.
func isLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// Close stops the clients and the fakes.
func (a *App) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// Refreshes reports how many times the pay page asked for a checkout token.
func (a *App) Refreshes() int { return int(a.refreshes.Load()) }

func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' "+origin(a.payAPI)+"; frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	// Every state-changing request (sign-in, sign-out, the checkout token)
	// must come from the app's own pages: a cross-site POST is refused.
	a.csrf.Handler(a.mux).ServeHTTP(w, r)
}

// origin is the scheme://host[:port] of a URL.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (a *App) routes() {
	static, _ := fs.Sub(web, "web/static")
	a.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	a.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := a.session(r); ok {
			http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
	a.mux.Handle("GET /metrics", a.metrics)
	a.mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		a.render(w, "login.html", map[string]any{"User": a.user.Name})
	})
	a.mux.HandleFunc("POST /login", a.login)
	a.mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		a.sessions.end(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
	a.mux.Handle("GET /dashboard", a.signedIn(http.HandlerFunc(a.dashboard)))
	a.mux.Handle("GET /pay", a.signedIn(http.HandlerFunc(a.payPage)))
	a.mux.Handle("GET /return", a.signedIn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/dashboard?from=checkout", http.StatusSeeOther)
	})))

	// The four provider flows: each handler decides from the session, never
	// from the request's parameters.
	a.mux.Handle("GET /upgrade", a.signedIn(a.crv.RedirectHandler(func(r *http.Request) (crovver.CheckoutTokenRequest, error) {
		u, err := a.user0(r)
		return crovver.CheckoutTokenRequest{
			ExternalTenantID: u.Tenant, ExternalUserID: u.Name, RequiredPlan: "pro",
			ReturnURL: a.origin + "/return",
		}, err
	})))
	billing := a.crv.PortalRedirectHandler(func(r *http.Request) (crovver.PortalTokenRequest, error) {
		u, err := a.user0(r)
		return crovver.PortalTokenRequest{ExternalTenantID: u.Tenant, ReturnURL: a.origin + "/dashboard"}, err
	})
	a.mux.Handle("GET /billing", a.signedIn(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := a.session(r)
		if _, ok := a.accounts.plan(u.Tenant); !ok { // Crovver has no billing page for a tenant that never paid
			http.Redirect(w, r, "/dashboard?notice=no-plan", http.StatusSeeOther)
			return
		}
		billing.ServeHTTP(w, r)
	})))
	a.webhookRoutes()
	portal := a.apst.PortalRedirectHandler(a.shop, func(r *http.Request) (appstle.PortalTokenRequest, error) {
		u, err := a.user0(r)
		return appstle.PortalTokenRequest{CustomerID: u.ShopifyID}, err
	})
	if isLoopback(a.shop) {
		// A fake's portal links back to a loopback return_url; Appstle's
		// own portal has its own way back to the shop.
		portal = withReturnURL(portal, a.origin+"/dashboard")
	}
	a.mux.Handle("GET /subscription", a.signedIn(portal))
	refresh := a.ap.RefreshHandler(func(r *http.Request) (altpay.CheckoutTokenRequest, error) {
		u, err := a.user0(r)
		return altpay.CheckoutTokenRequest{CustomerID: u.CustomerID, InvoiceID: u.InvoiceID}, err
	})
	a.mux.Handle("POST /checkout/token", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "" && r.Header.Get("Origin") != a.origin {
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		a.refreshes.Add(1)
		refresh.ServeHTTP(w, r)
	}))
}

// user0 is the signed-in user, or an error matching ErrUnauthorized that
// the provider handlers answer 401 with.
func (a *App) user0(r *http.Request) (User, error) {
	if u, ok := a.session(r); ok {
		return u, nil
	}
	return User{}, fmt.Errorf("no session: %w", crovver.ErrUnauthorized)
}

// signedIn sends a browser without a session to the sign-in page.
func (a *App) signedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := a.session(r); !ok {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// maxLoginBody bounds the sign-in form, a few bytes from the app's page.
const maxLoginBody = 4 << 10

func (a *App) login(w http.ResponseWriter, r *http.Request) {
	// Only a small url-encoded body: FormValue would read 10 MB of one, a
	// multipart body of any size (spooled to disk), and the query string.
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBody)
	if err := r.ParseForm(); err != nil {
		status := http.StatusBadRequest
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status = http.StatusRequestEntityTooLarge
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	if r.PostForm.Get("user") != a.user.Name {
		a.renderStatus(w, http.StatusUnauthorized, "login.html", map[string]any{"User": a.user.Name, "Error": "Unknown user: try " + a.user.Name + "."})
		return
	}
	a.sessions.start(w, r, a.user.Name, strings.HasPrefix(a.origin, "https://"))
	a.seedPlan(r.Context(), a.user.Tenant)
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

func (a *App) dashboard(w http.ResponseWriter, r *http.Request) {
	u, _ := a.session(r)
	plan, subscribed := a.accounts.plan(u.Tenant)
	a.render(w, "dashboard.html", map[string]any{
		"User": u, "Plan": planName(plan), "Subscribed": subscribed, "Paid": a.accounts.isPaid(u.InvoiceID),
		"FromCheckout": r.URL.Query().Get("from") == "checkout", "NoPlan": r.URL.Query().Get("notice") == "no-plan",
	})
}

func (a *App) payPage(w http.ResponseWriter, r *http.Request) {
	u, _ := a.session(r)
	a.render(w, "pay.html", map[string]any{"User": u, "PayAPI": a.payAPI})
}

func (a *App) render(w http.ResponseWriter, name string, data map[string]any) {
	a.renderStatus(w, http.StatusOK, name, data)
}

// renderStatus answers page name with status, headers first.
func (a *App) renderStatus(w http.ResponseWriter, status int, name string, data map[string]any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := a.pages.ExecuteTemplate(w, name, data); err != nil {
		a.logger.Error("render", "page", name, "error", err)
	}
}

// session is the signed-in user of r, if r carries a live session.
func (a *App) session(r *http.Request) (User, bool) {
	if name, ok := a.sessions.user(r); ok && name == a.user.Name {
		return a.user, true
	}
	return User{}, false
}

// withReturnURL adds return_url=back to the redirect next answers with.
func withReturnURL(next http.Handler, back string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&returnURLWriter{ResponseWriter: w, back: back}, r)
	})
}

type returnURLWriter struct {
	http.ResponseWriter
	back string
}

func (w *returnURLWriter) WriteHeader(status int) {
	if loc := w.Header().Get("Location"); status/100 == 3 && loc != "" {
		if u, err := url.Parse(loc); err == nil {
			// Appended, so the provider's own URL stays as it built it.
			if u.RawQuery != "" {
				u.RawQuery += "&"
			}
			u.RawQuery += "return_url=" + url.QueryEscape(w.back)
			w.Header().Set("Location", u.String())
		}
	}
	w.ResponseWriter.WriteHeader(status)
}
