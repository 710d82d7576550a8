package provider_test

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWebhookOptionsFilesAlike: the four packages' webhook_options.go are
// one file, but for the package name and the default timeout's sentence.
func TestWebhookOptionsFilesAlike(t *testing.T) {
	norm := regexp.MustCompile(`(?m)^package \w+$|The default is [^:]*:`)
	var first string
	for _, p := range []string{"crovver", "appstle", "altpay", "cartevo"} {
		b, err := os.ReadFile("../../" + p + "/webhook_options.go")
		require.NoError(t, err)
		s := norm.ReplaceAllString(string(b), "")
		if first == "" {
			first = s
			continue
		}
		assert.Equal(t, first, s, p+"/webhook_options.go drifted from crovver's")
	}
}

// TestWebhookHandleDeadline: handle runs inside the provider's delivery
// timeout (Crovver waits 5 s, Svix 15 s, Cartevo 10 s).
func TestWebhookHandleDeadline(t *testing.T) {
	want := map[string]time.Duration{"crovver": 4 * time.Second, "appstle": 14 * time.Second, "cartevo": 9 * time.Second, "altpay": 10 * time.Second}
	for _, k := range kits() {
		var left time.Duration
		h := k.handler(k.secret, func(ctx context.Context, _ got) error {
			dl, ok := ctx.Deadline()
			require.True(t, ok)
			left = time.Until(dl)
			return nil
		}, hopts{})
		hdr, body := k.sign(k.secret, "evt_d", k.eventType(), time.Now())
		require.Equal(t, http.StatusOK, post(h, hdr, body))
		assert.InDelta(t, want[k.name].Seconds(), left.Seconds(), 0.5, k.name)
	}
}
