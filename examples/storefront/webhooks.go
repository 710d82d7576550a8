package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/checkoutkit/checkoutkit/altpay"
	"github.com/checkoutkit/checkoutkit/crovver"
)

// accounts is what the app knows of its customers' subscriptions and
// invoices. The providers tell it by webhook; the browser coming back from
// a checkout proves nothing, so it changes nothing here.
type accounts struct {
	mu    sync.Mutex
	plans map[string]string    // tenant -> plan id
	seen  map[string]time.Time // tenant -> the newest event applied to it
	n     map[string]int       // tenant -> how many events were applied to it
	paid  map[string]bool      // invoice id -> paid
}

func newAccounts() *accounts {
	return &accounts{plans: map[string]string{}, seen: map[string]time.Time{}, n: map[string]int{}, paid: map[string]bool{}}
}

// apply reports whether an event about tenant created at t is newer than
// every one applied so far, and if so records it and, when change is set,
// sets the tenant's plan ("" for none), in one step: a redelivered or
// replayed older event (Crovver signs no timestamp) must not undo a newer
// one, even when the two are delivered at once.
func (a *accounts) apply(tenant string, t time.Time, plan string, change bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.applyLocked(tenant, t, plan, change)
}

func (a *accounts) applyLocked(tenant string, t time.Time, plan string, change bool) bool {
	if last, ok := a.seen[tenant]; ok && !t.After(last) {
		return false
	}
	a.seen[tenant] = t
	a.n[tenant]++
	if change {
		a.setPlanLocked(tenant, plan)
	}
	return true
}

// applied is how many events have been applied to tenant, for seed.
func (a *accounts) applied(tenant string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[tenant]
}

// seed sets tenant's plan as read from Crovver at t, when nothing was
// applied to tenant since applied returned n (an event that came in during
// the read is newer than it, whatever its created_at says), and applies it
// like an event created at t, so that an older event does not undo it.
func (a *accounts) seed(tenant string, t time.Time, n int, plan string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[tenant] == n && a.applyLocked(tenant, t, plan, true)
}

func (a *accounts) plan(tenant string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.plans[tenant]
	return p, ok
}

// setPlanLocked sets tenant's plan, "" for none. a.mu must be held.
func (a *accounts) setPlanLocked(tenant, plan string) {
	if plan == "" {
		delete(a.plans, tenant)
		return
	}
	a.plans[tenant] = plan
}

func (a *accounts) isPaid(invoice string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.paid[invoice]
}

func (a *accounts) markPaid(invoice string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.paid[invoice] = true
}

// webhookSecret is the secret a provider signs the app's webhooks with:
// from the environment for a real provider, made up for a fake.
func webhookSecret(getenv func(string) string, env string, fake bool) string {
	if s := getenv(env); s != "" || !fake {
		return s
	}
	return "whsec_storefront_" + rand.Text()
}

// onCrovver keeps the tenant's plan as Crovver reports it.
func (a *App) onCrovver(_ context.Context, e crovver.Event) error {
	switch e.Type {
	case crovver.EventSubscriptionCreated, crovver.EventSubscriptionActivated, crovver.EventSubscriptionUpdated,
		crovver.EventSubscriptionRenewed, crovver.EventSubscriptionCanceled:
	default:
		return nil // webhook.test and events the app does not use
	}
	sub, err := e.Subscription()
	if err != nil {
		return err
	}
	plan, change := "", false
	switch {
	case e.Type == crovver.EventSubscriptionCanceled || sub.Status == crovver.StatusCanceled || sub.Status == crovver.StatusExpired:
		change = true
	case sub.Status == crovver.StatusActive || sub.Status == crovver.StatusTrial:
		plan, change = sub.PlanID, true
	}
	if !a.accounts.apply(sub.ExternalTenantID, e.CreatedAt, plan, change) {
		a.logger.Info("crovver webhook older than one already applied: ignored", "type", e.Type)
	}
	return nil
}

// onAltpay marks invoices paid as Alternative Payments reports them.
func (a *App) onAltpay(_ context.Context, e altpay.Event) error {
	if e.Type != altpay.TopicInvoicePaid {
		return nil
	}
	inv, err := e.Invoice()
	if err != nil {
		return err
	}
	a.accounts.markPaid(inv.ID)
	return nil
}

// seedPlan asks Crovver once, at sign-in, which plan the tenant is on, so
// that an app started after a checkout (or without webhooks set up) shows
// it; webhooks keep it current from then on.
func (a *App) seedPlan(ctx context.Context, tenant string) {
	if _, ok := a.accounts.plan(tenant); ok {
		return
	}
	// The plan as of the moment the app asks: an event created before it
	// is older, and must not undo it; one applied while the answer is on
	// its way is newer.
	at, n := time.Now(), a.accounts.applied(tenant)
	st, err := a.crv.SubscriptionStatus(ctx, tenant)
	if err != nil {
		a.logger.Warn("subscription status", "error", err)
		return
	}
	if st.Active && st.Plan != nil {
		a.accounts.seed(tenant, at, n, st.Plan.ID)
	}
}

// planName is what the dashboard shows for a plan id.
func planName(id string) string {
	if id == "" {
		return "free"
	}
	return strings.TrimPrefix(id, "plan_")
}

// webhookRoutes mounts the receivers the providers post to.
func (a *App) webhookRoutes() {
	if a.crovverSecret != "" {
		a.mux.Handle("POST /webhooks/crovver", crovver.WebhookHandler(a.crovverSecret, a.onCrovver, crovver.WithWebhookLogger(a.logger)))
	}
	if a.altpaySecret != "" {
		a.mux.Handle("POST /webhooks/altpay", altpay.WebhookHandler(a.altpaySecret, a.onAltpay, altpay.WithWebhookLogger(a.logger)))
	}
}

// pointFakes sends the in-process fakes' webhooks to the app.
func (a *App) pointFakes() error {
	if a.Crovver != nil {
		if err := a.Crovver.SetWebhook(a.origin+"/webhooks/crovver", a.crovverSecret); err != nil {
			return fmt.Errorf("crovver fake: %w", err)
		}
	}
	if a.Altpay != nil {
		if err := a.Altpay.SetWebhook(a.origin+"/webhooks/altpay", a.altpaySecret); err != nil {
			return fmt.Errorf("altpay fake: %w", err)
		}
	}
	return nil
}
