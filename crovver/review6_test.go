package crovver_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/checkoutkit/checkoutkit"
	"github.com/checkoutkit/checkoutkit/crovver"
)

// Crovver's not-found codes mean "no such tenant" whatever status carries
// them: the error matches ErrNotFound as checkoutkit.ErrNotFound's doc and
// ErrTenantNotFound's promise, and the portal handler answers 404, not 502.
func TestNotFoundCodesMatchErrNotFoundWhateverTheStatus(t *testing.T) {
	for _, code := range []string{"TENANT_NOT_FOUND", "NO_ACTIVE_SUBSCRIPTION"} {
		for _, status := range []int{http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusNotFound, http.StatusOK} {
			c, mt, _ := mockClient(t)
			mt.RegisterResponder(http.MethodPost, "https://app.crovver.com/api/public/auth/portal-token",
				respond(status, docError("Tenant not found", code)))
			req := crovver.PortalTokenRequest{ExternalTenantID: "t", ReturnURL: "https://app.example.com/"}
			_, err := c.PortalToken(bg, req)
			assert.ErrorIs(t, err, crovver.ErrNotFound, "%s at %d", code, status)
			assert.ErrorIs(t, err, checkoutkit.ErrNotFound, "%s at %d", code, status)

			rec := httptest.NewRecorder()
			c.PortalRedirectHandler(func(*http.Request) (crovver.PortalTokenRequest, error) { return req, nil }).
				ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/billing", nil))
			assert.Equal(t, http.StatusNotFound, rec.Code, "%s at %d", code, status)
		}
	}
	assert.ErrorIs(t, crovver.ErrTenantNotFound, crovver.ErrNotFound)
	assert.ErrorIs(t, crovver.ErrNoActiveSubscription, crovver.ErrNotFound)
	assert.NotErrorIs(t, crovver.ErrTenantNotFound, crovver.ErrNoActiveSubscription)
}
