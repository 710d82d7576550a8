package provider_test

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A handle that panics is answered 500 over a real connection, as the
// receivers' docs and the README's table say, so that the provider sees a
// failed delivery and retries; the retry is handled. The panic value is
// logged without the secret.
func TestWebhookPanickingHandleAnswers500(t *testing.T) {
	for _, k := range kits() {
		t.Run(k.name, func(t *testing.T) {
			var logs bytes.Buffer
			var calls atomic.Int32
			h := k.handler(k.secret, func(context.Context, got) error {
				if calls.Add(1) == 1 {
					panic("boom with " + k.secret)
				}
				return nil
			}, hopts{logger: slog.New(slog.NewTextHandler(&logs, nil))})
			srv := httptest.NewUnstartedServer(h)
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // net/http's own panic report
			srv.Start()
			defer srv.Close()

			hdr, body := k.sign(k.secret, "evt_panic", k.eventType(), time.Now())
			send := func() (int, error) {
				req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
				require.NoError(t, err)
				req.Header = hdr.Clone()
				resp, err := srv.Client().Do(req)
				if err != nil {
					return 0, err
				}
				resp.Body.Close()
				return resp.StatusCode, nil
			}
			code, err := send()
			require.NoError(t, err, "the connection must not be dropped")
			assert.Equal(t, http.StatusInternalServerError, code)
			code, err = send()
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, code, "the retry is handled")
			assert.EqualValues(t, 2, calls.Load())
			assert.Contains(t, logs.String(), "panic")
			assert.NotContains(t, logs.String(), k.secret)
		})
	}
}
