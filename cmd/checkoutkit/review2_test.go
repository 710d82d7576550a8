package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README says "checkoutkit help webhook has an example" and that every
// subcommand's -h prints its flags and an example on stdout.
func TestWebhookHelpListsFlagsAndExample(t *testing.T) {
	for _, args := range [][]string{{"help", "webhook"}, {"webhook", "-h"}, {"webhook", "--help"}} {
		code, out, _ := cli(t, nil, "", args...)
		assert.Equal(t, exitOK, code, "%v", args)
		assert.Contains(t, out, "Usage: checkoutkit webhook send", "%v", args)
		assert.Contains(t, out, "-provider", "%v", args)
		assert.Contains(t, out, "Example:", "%v", args)
	}
}

// "webhook send", the stripe trigger of this SDK, sends a new event each
// time: a second send with the default sample is handled too, not taken
// for a duplicate of the first (Cartevo's receiver dedupes on the body).
func TestWebhookSendTwiceIsHandledTwice(t *testing.T) {
	const secret = "cli-webhook-secret-123456"
	srv, got := receivers(t, secret)
	for _, p := range []string{"crovver", "appstle", "altpay", "cartevo"} {
		for i := range 2 {
			code, _, errs := cli(t, nil, "", "webhook", "send", "-provider", p, "-url", srv.URL+"/"+p, "-secret", secret)
			require.Equal(t, exitOK, code, errs)
			select {
			case g := <-got:
				assert.Equal(t, p+" "+webhookDefaults[p].event, g)
			default:
				t.Errorf("%s: send %d answered 2xx but was not handled", p, i+1)
			}
		}
	}
}
