package httpx

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"
)

// logTransport logs each attempt's metadata once it has an answer: method,
// host, path (never the query), status, attempt and duration. Successful
// first attempts log at Debug, retries and failures at Info.
type logTransport struct {
	next http.RoundTripper
	c    *Client
}

type attemptsKey struct{}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	attempt := 1
	if n, ok := req.Context().Value(attemptsKey{}).(*atomic.Int32); ok {
		attempt = int(n.Add(1))
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	attrs := []slog.Attr{
		slog.String("provider", t.c.provider),
		slog.String("method", req.Method),
		slog.String("host", req.URL.Host),
		slog.String("path", req.URL.Path),
		slog.Int("attempt", attempt),
		slog.Duration("duration", time.Since(start)),
	}
	level := slog.LevelDebug
	if attempt > 1 {
		level = slog.LevelInfo
	}
	if err != nil {
		level = slog.LevelInfo
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		attrs = append(attrs, slog.String("error", t.c.redact.Clean(err.Error())))
	} else {
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		if resp.StatusCode >= 400 {
			level = slog.LevelInfo
		}
	}
	t.c.logger.LogAttrs(req.Context(), level, "checkoutkit request", attrs...)
	return resp, err
}

// CloseIdleConnections passes on to the wrapped transport, so that Close
// still frees the connections of a transport the client made itself when a
// logger is set.
func (t *logTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
