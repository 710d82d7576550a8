package crovver_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/checkoutkit/checkoutkit/crovver"
)

// A secret of spaces is as empty as "" (an unset variable padded by a
// template): WebhookHandler panics on it, and VerifyWebhook must refuse it,
// not accept bodies signed with a key anyone can guess.
func TestVerifyWebhookRefusesABlankSecret(t *testing.T) {
	const blank = " \t "
	mac := hmac.New(sha256.New, []byte(blank))
	mac.Write([]byte(docActivated))
	h := http.Header{"X-Crovver-Signature": {"sha256=" + hex.EncodeToString(mac.Sum(nil))}}
	_, err := crovver.VerifyWebhook(blank, h, []byte(docActivated))
	assert.ErrorIs(t, err, crovver.ErrWebhookSignature)
}
