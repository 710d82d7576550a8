package httpx

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

// TokenSource supplies the Bearer token for DoBearer; *tokencache.Source
// implements it.
type TokenSource interface {
	Token(ctx context.Context) (tokencache.Token, error)
	Invalidate(stale tokencache.Token)
}

// MaxReplayBody bounds a request body that DoBearer buffers to replay after
// a 401, when the request has no GetBody.
const MaxReplayBody = 1 << 20

// DoBearer sends req with "Authorization: Bearer <token>" from src. On a 401
// it invalidates exactly the token it sent (so concurrent 401s cause one
// refresh), gets a fresh one and sends once more; a second 401 is returned
// as is. Replaying after a 401 is always safe: the provider refused the
// request before acting on it. Network errors and 5xx are retried only for
// idempotent methods, or for all when retryAll is set.
//
// req must target the client's base URL host and scheme: a token is never
// sent anywhere else. As with http.Client.Do, req's body is consumed; its
// headers are not modified.
func (c *Client) DoBearer(req *http.Request, src TokenSource, retryAll bool) (*http.Response, error) {
	if req == nil || req.URL == nil {
		return nil, Invalid(c.provider, "request", "must not be nil")
	}
	if req.URL.Scheme != c.base.Scheme || req.URL.Host != c.base.Host {
		return nil, Invalid(c.provider, "request URL", "must use the client's base URL scheme and host ("+c.base.Scheme+"://"+c.base.Host+")")
	}
	ctx := req.Context()
	getBody, err := replayableBody(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.provider, err)
	}
	retry := retryAll || idempotent(req.Method)

	send := func(tok tokencache.Token) (*http.Response, error) {
		out := req.Clone(ctx)
		if getBody != nil {
			out.GetBody = getBody
			body, err := getBody()
			if err != nil {
				return nil, err
			}
			out.Body = body
		}
		out.Header.Set("Authorization", "Bearer "+tok.Value)
		return c.Do(out, nil, retry)
	}

	tok, err := src.Token(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := send(tok)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	c.log(ctx, "bearer token rejected; refreshing once", req)

	src.Invalidate(tok)
	if tok, err = src.Token(ctx); err != nil {
		return nil, err
	}
	return send(tok)
}

// replayableBody returns a function that yields req's body afresh, or nil
// for a request without one.
func replayableBody(req *http.Request) (func() (io.ReadCloser, error), error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.GetBody != nil {
		return req.GetBody, nil
	}
	buf, err := io.ReadAll(io.LimitReader(req.Body, MaxReplayBody+1))
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	if len(buf) > MaxReplayBody {
		return nil, fmt.Errorf("%w: request body over %d bytes without GetBody cannot be replayed", ErrInvalidRequest, MaxReplayBody)
	}
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }, nil
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, "":
		return true
	}
	return false
}

func (c *Client) log(ctx context.Context, msg string, req *http.Request) {
	if c.logger == nil {
		return
	}
	c.logger.InfoContext(ctx, msg, "provider", c.provider, "method", req.Method, "host", req.URL.Host, "path", req.URL.Path)
}
