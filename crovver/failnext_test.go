package crovver_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/checkoutkit/checkoutkit/crovver"
	"github.com/checkoutkit/checkoutkit/crovver/crovvertest"
)

// FailNext answers each status with the code Crovver documents for it, so
// that code written against Crovver's errors (errors.Is with
// ErrTenantNotFound, ErrUnauthorized) can be tested on the fake: every
// status used to carry INTERNAL_ERROR.
func TestFakeFailNextUsesTheDocumentedCodes(t *testing.T) {
	srv := crovvertest.NewServer()
	defer srv.Close()
	c, err := crovver.New(crovvertest.PublicKey, crovver.WithBaseURL(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		status int
		want   error
		code   string
	}{
		{404, crovver.ErrTenantNotFound, "TENANT_NOT_FOUND"},
		{401, crovver.ErrUnauthorized, "INVALID_PUBLIC_KEY"},
		{400, crovver.ErrInvalidRequest, "MISSING_REQUIRED_FIELDS"},
	} {
		srv.FailNext(tc.status)
		// A tenant per case: a failed mint backs its key off.
		tenant := fmt.Sprint("t_failnext_", tc.status)
		_, err := c.CheckoutToken(bg, crovver.CheckoutTokenRequest{ExternalTenantID: tenant, ReturnURL: "https://app.example.com/done"})
		assert.ErrorIs(t, err, tc.want, "FailNext(%d)", tc.status)
		var ae *crovver.APIError
		if assert.True(t, errors.As(err, &ae), "FailNext(%d): %v", tc.status, err) {
			assert.Equal(t, tc.code, ae.Code)
		}
	}
}
