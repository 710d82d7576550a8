package httpx

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/hashicorp/go-retryablehttp"
)

// Auth supplies the Bearer token for a request and drops one the provider
// rejected. Implementations must be safe for concurrent use; a provider
// backs one with a tokencache.Source.
type Auth interface {
	// BearerToken returns the token to send.
	BearerToken(ctx context.Context) (string, error)
	// Reject is told that the provider answered 401 to token. It drops
	// token if it is still the current one, so that the next BearerToken
	// mints anew, and reports true: the request is then sent once more with
	// the next token. Concurrent rejections of one token cause one refresh.
	// It reports false when a refresh must not happen (a token minted
	// moments ago by a refresh after another 401 is not stale): the 401
	// then goes back to the caller.
	Reject(token string) bool
}

// MaxReplayBody bounds a request body that DoAuth buffers to replay after
// a 401, when the request has no GetBody.
const MaxReplayBody = 1 << 20

// DoAuth sends a caller's req (its URL absolute) with "Authorization:
// Bearer <token>" from auth, through the same path as Send: on a 401 it
// drops exactly the token it sent (so concurrent 401s cause one refresh),
// gets a fresh one and sends once more; a second 401 is returned as is.
// Replaying after a 401 is safe: the provider refused the request before
// acting on it. Network errors and 5xx are retried only for idempotent
// methods, or for all when retryAll is set. A redirect is an *APIError,
// never followed.
//
// req must target the client's base URL host and scheme: a token is never
// sent anywhere else. As with http.Client.Do, req's body is consumed; its
// headers are not modified. The caller owns the response body.
func (c *Client) DoAuth(req *http.Request, auth Auth, retryAll bool) (*http.Response, error) {
	if req == nil || req.URL == nil {
		return nil, Invalid(c.provider, "req", "must not be nil")
	}
	body, err := replayableBody(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.provider, err)
	}
	req = req.Clone(c.callContext(req.Context(), retryAll || Idempotent(req.Method)))
	req.Body, req.GetBody = nil, nil
	return c.exchange(req, body, auth)
}

// replayableBody returns what yields req's body afresh for each attempt, in
// the form retryablehttp's Request.SetBody takes: nil for a request without
// one, a ReaderFunc over req.GetBody, or the bytes read from req.Body.
func replayableBody(req *http.Request) (any, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if req.GetBody != nil {
		req.Body.Close() // every attempt reads a fresh copy from GetBody
		getBody := req.GetBody
		return retryablehttp.ReaderFunc(func() (io.Reader, error) { return getBody() }), nil
	}
	buf, err := io.ReadAll(io.LimitReader(req.Body, MaxReplayBody+1))
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading request body: %w", err)
	}
	if len(buf) > MaxReplayBody {
		return nil, fmt.Errorf("%w: request body over %d bytes without GetBody cannot be replayed", ErrInvalidRequest, MaxReplayBody)
	}
	return buf, nil
}

// Idempotent reports whether a request with this method may be repeated
// without changing its effect (RFC 9110 §9.2.2): GET, HEAD, OPTIONS, PUT and
// DELETE, and "" (which net/http sends as GET).
func Idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete, "":
		return true
	}
	return false
}

// CheckHost refuses a request whose Host field names another host than its
// URL: net/http sends the Host field as the Host header, and a front end
// that routes on Host would pass the request, and its token, to that host.
// It refuses an opaque URL too: net/http writes it as the request target
// ("GET http://other.example/ HTTP/1.1" for "//other.example/"), which a
// server routes on ahead of the Host header.
func (c *Client) CheckHost(req *http.Request) error {
	if req.URL.Opaque != "" {
		return Invalid(c.provider, "req.URL", "must not be opaque")
	}
	if req.Host != "" && !strings.EqualFold(req.Host, req.URL.Host) {
		return Invalid(c.provider, "req.Host", "must be empty or the URL's host")
	}
	return nil
}

// Transport returns an http.RoundTripper for code that builds its own
// requests (a client generated from the provider's OpenAPI spec, say): it
// attaches auth's token to requests for the base URL's scheme and host
// only, refreshing once on a 401 as DoAuth does, and refuses any other
// request, so a token never goes elsewhere.
func (c *Client) Transport(auth Auth, retryAll bool) http.RoundTripper {
	return &authTransport{c: c, auth: auth, retryAll: retryAll}
}

type authTransport struct {
	c        *Client
	auth     Auth
	retryAll bool
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.c.DoAuth(req, t.auth, t.retryAll)
	if err != nil && req.Body != nil {
		req.Body.Close() // a RoundTripper must close the body, even on errors
	}
	return resp, err
}

func (c *Client) log(ctx context.Context, msg string, req *http.Request) {
	if c.logger == nil {
		return
	}
	c.logger.InfoContext(ctx, msg, "provider", c.provider, "method", req.Method, "host", req.URL.Host, "path", req.URL.Path)
}
