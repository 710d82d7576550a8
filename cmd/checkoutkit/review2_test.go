package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
