package httpx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Version is the SDK version sent in the User-Agent header.
const Version = "0.1.0"

// UserAgent is sent with every request.
const UserAgent = "checkoutkit-go/" + Version

// Defaults for Config fields left zero.
const (
	DefaultMaxAttempts   = 3
	DefaultMinWait       = 100 * time.Millisecond
	DefaultMaxWait       = 2 * time.Second
	DefaultMaxRetryAfter = 5 * time.Second
	DefaultMaxBody       = 1 << 20
	DefaultHeaderTimeout = 30 * time.Second
	maxRequestIDLen      = 128
)

// ErrorDecoder fills in the provider fields (Code, Message, Kind) of e from
// an error response body. It must not copy secrets into e; messages pass
// through CleanMessage afterwards.
type ErrorDecoder func(e *APIError, body []byte)

// Config configures a Client. Zero fields take the defaults above.
type Config struct {
	Provider      string
	BaseURL       string
	HTTPClient    *http.Client // copied, never modified
	MaxAttempts   int          // total tries, including the first
	MinWait       time.Duration
	MaxWait       time.Duration
	MaxRetryAfter time.Duration // a longer Retry-After is not waited on
	MaxBody       int64         // response body limit
	Logger        *slog.Logger
	DecodeError   ErrorDecoder
	Secrets       []string // scrubbed from any provider message
}

// Client sends requests to one provider.
type Client struct {
	ownTransport  bool // the transport is ours to close
	provider      string
	base          *url.URL
	hc            *http.Client
	rc            *retryablehttp.Client
	maxRetryAfter time.Duration
	maxBody       int64
	logger        *slog.Logger
	decode        ErrorDecoder
	secrets       []string
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := ParseBaseURL(cfg.Provider, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		provider:      cfg.Provider,
		base:          base,
		maxRetryAfter: orDefault(cfg.MaxRetryAfter, DefaultMaxRetryAfter),
		maxBody:       cfg.MaxBody,
		logger:        cfg.Logger,
		decode:        cfg.DecodeError,
		secrets:       cfg.Secrets,
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	attempts := cfg.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	c.hc = copyClient(cfg.HTTPClient)
	c.ownTransport = cfg.HTTPClient == nil
	c.rc = &retryablehttp.Client{
		HTTPClient:     c.hc,
		RetryWaitMin:   orDefault(cfg.MinWait, DefaultMinWait),
		RetryWaitMax:   orDefault(cfg.MaxWait, DefaultMaxWait),
		RetryMax:       attempts - 1,
		CheckRetry:     c.checkRetry,
		Backoff:        c.backoff,
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: c.logAttempt,
	}
	if c.rc.RetryWaitMax < c.rc.RetryWaitMin {
		c.rc.RetryWaitMax = c.rc.RetryWaitMin
	}
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// copyClient returns a copy of hc (so the caller's client is never
// modified), or with none a client on a clone of http.DefaultTransport with
// a finite ResponseHeaderTimeout.
func copyClient(hc *http.Client) *http.Client {
	if hc != nil {
		cp := *hc
		return &cp
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = DefaultHeaderTimeout
	return &http.Client{Transport: t}
}

// Close closes the idle connections of a transport the Client created
// itself (never those of a caller's client).
func (c *Client) Close() {
	if c.ownTransport {
		c.hc.CloseIdleConnections()
	}
}

// BaseURL returns a copy of the validated base URL.
func (c *Client) BaseURL() *url.URL {
	u := *c.base
	return &u
}

// URL joins path (and query) to the base URL's path.
func (c *Client) URL(path string, query url.Values) *url.URL {
	u := *c.base
	u.Path = c.base.Path + "/" + strings.TrimLeft(path, "/")
	u.RawQuery = query.Encode()
	return &u
}

// Request is one call to the provider.
type Request struct {
	Method      string
	Path        string // relative to the base URL's path
	Query       url.Values
	Header      http.Header
	Body        []byte
	ContentType string
}

// Response is a successful (2xx) answer, its body read in full.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	Method     string // of the request
	Path       string // of the request, without query
}

type retryKey struct{}

// Send performs r with retries (network errors, 429 and 5xx: token mints
// and lookups are safe to repeat) and reads the body through the size
// limit. A non-2xx answer is returned as an *APIError.
func (c *Client) Send(ctx context.Context, r Request) (*Response, error) {
	u := c.URL(r.Path, r.Query)
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: building request: %w", c.provider, err)
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req, r.Body, true)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := c.ReadBody(resp)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, c.APIError(resp, body)
	}
	return ResponseOf(resp, body), nil
}

// Do sends req (its URL absolute) with retries. body, if not nil, replaces
// req.Body and is replayed on each attempt. retry allows retrying network
// errors and 5xx; without it only 429 (refused before any work) is retried.
// The caller owns the response body.
func (c *Client) Do(req *http.Request, body []byte, retry bool) (*http.Response, error) {
	req = req.WithContext(context.WithValue(req.Context(), retryKey{}, retry))
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", UserAgent)
	}
	var raw any
	length := req.ContentLength
	switch {
	case body != nil:
		raw, length = body, int64(len(body))
	case req.GetBody != nil:
		getBody := req.GetBody // captured: SetBody replaces req.GetBody
		raw = func() (io.Reader, error) { return getBody() }
	case req.Body != nil && req.Body != http.NoBody:
		raw = req.Body // read once; replayable only if the caller set GetBody
	}
	req.Body, req.GetBody = nil, nil // req is our shallow copy
	rreq, err := retryablehttp.FromRequest(req)
	if err != nil {
		return nil, c.transportError(req, err)
	}
	if raw != nil {
		if err := rreq.SetBody(raw); err != nil {
			return nil, c.transportError(req, err)
		}
		if rreq.ContentLength == 0 {
			rreq.ContentLength = length
		}
	}
	resp, err := c.rc.Do(rreq)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, c.transportError(req, err)
	}
	if resp.Request == nil { // some transports (mocks) leave it unset
		resp.Request = rreq.Request
	}
	return resp, nil
}

// transportError reports a failure to get an answer: the context's error
// when it ended (so errors.Is(err, context.DeadlineExceeded) works), else
// the cause, with method and path but never the query or full URL.
func (c *Client) transportError(req *http.Request, err error) error {
	if ctxErr := req.Context().Err(); ctxErr != nil {
		return fmt.Errorf("%s: %s %s: %w", c.provider, req.Method, req.URL.Path, ctxErr)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s: %s %s: %w", c.provider, req.Method, req.URL.Path, err)
}

// ReadBody reads resp.Body through the size limit: a longer body is
// ErrResponseTooLarge, never read in full.
func (c *Client) ReadBody(resp *http.Response) ([]byte, error) {
	limit := c.maxBody
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch r := ResponseOf(resp, nil); {
	case err != nil:
		return nil, fmt.Errorf("%s: %s %s: reading response: %w", c.provider, r.Method, r.Path, err)
	case int64(len(body)) > limit:
		return nil, fmt.Errorf("%s: %s %s: %w (over %d bytes)", c.provider, r.Method, r.Path, ErrResponseTooLarge, limit)
	}
	return body, nil
}

// APIError builds the error for a non-2xx response whose body was read.
func (c *Client) APIError(resp *http.Response, body []byte) *APIError {
	return c.ErrorFor(ResponseOf(resp, body), resp.StatusCode)
}

// ErrorFor builds the error for r answered with status: r's own status, or
// one a provider assigns to a 2xx body that reports a failure.
func (c *Client) ErrorFor(r *Response, status int) *APIError {
	e := &APIError{
		Provider:   c.provider,
		StatusCode: status,
		RequestID:  requestID(r.Header),
		Method:     r.Method,
		Path:       r.Path,
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter, _ = ParseRetryAfter(r.Header.Get("Retry-After"), time.Now())
	}
	if c.decode != nil && len(r.Body) > 0 {
		c.decode(e, r.Body)
	}
	e.Message = CleanMessage(e.Message, c.secrets)
	e.Code = CleanMessage(e.Code, c.secrets)
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// ResponseOf wraps an *http.Response whose body was read as body.
func ResponseOf(resp *http.Response, body []byte) *Response {
	r := &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}
	if resp.Request != nil {
		r.Method, r.Path = resp.Request.Method, resp.Request.URL.Path
	}
	return r
}

// Unexpected reports a 2xx answer that does not match the documented shape.
func (c *Client) Unexpected(resp *Response, format string, args ...any) error {
	return fmt.Errorf("%s: %s %s: %w: %s", c.provider, resp.Method, resp.Path, ErrUnexpectedResponse, fmt.Sprintf(format, args...))
}

// DecodeJSON decodes a successful response's body into v. A body declared
// as something other than JSON (an HTML page behind a 200, say), or one that
// does not decode, is ErrUnexpectedResponse; the body is never quoted.
func (c *Client) DecodeJSON(resp *Response, v any) error {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "text/json" && !strings.HasSuffix(mt, "+json")) {
			return c.Unexpected(resp, "content type %q, want JSON", ct)
		}
	}
	if err := json.Unmarshal(resp.Body, v); err != nil {
		return c.Unexpected(resp, "invalid JSON: %s", describeJSONError(err))
	}
	return nil
}

// describeJSONError says what is wrong without quoting the input.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q is %s, want %s", typ.Field, typ.Value, typ.Type)
	case err.Error() == "unexpected end of JSON input":
		return "truncated"
	}
	return "malformed"
}

func requestID(h http.Header) string {
	for _, k := range []string{"X-Request-Id", "Request-Id", "X-Correlation-Id", "X-Amzn-Requestid", "Cf-Ray"} {
		if v := h.Get(k); v != "" {
			if len(v) > maxRequestIDLen {
				v = v[:maxRequestIDLen]
			}
			return CleanMessage(v, nil)
		}
	}
	return ""
}

// checkRetry retries 429 (within the Retry-After cap) always, and network
// errors, 500, 502, 503 and 504 when the request allows it; never other
// statuses, and never once the context has ended.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	retryable, _ := ctx.Value(retryKey{}).(bool)
	if err != nil {
		return retryable && isTransient(err), nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		ra, _ := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return ra <= c.maxRetryAfter, nil
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout:
		return retryable, nil
	case http.StatusServiceUnavailable:
		ra, _ := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return retryable && ra <= c.maxRetryAfter, nil
	}
	return false, nil
}

// isTransient reports whether a transport error is worth another try:
// anything but a certificate problem, a redirect loop or a bad scheme, which
// the next try would meet again.
func isTransient(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return false
	case strings.Contains(err.Error(), "stopped after"),
		strings.Contains(err.Error(), "unsupported protocol scheme"):
		return false
	}
	return true
}

// backoff waits full-jitter exponential (random in [0, min(max, min·2^n)]),
// or the Retry-After the provider sent, whichever is longer.
func (c *Client) backoff(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
	d := max
	if attempt < 30 {
		d = min << attempt
		if d > max {
			d = max
		}
	}
	d = rand.N(d + 1)
	if resp != nil {
		if ra, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && ra > d {
			d = ra
		}
	}
	return d
}

// ParseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (relative to now). ok is false when it is absent or unreadable.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := parseUint(v); err == nil {
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

func parseUint(s string) (int64, error) {
	var n int64
	if s == "" {
		return 0, errors.New("empty")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, errors.New("not a number")
		}
		if n > 1<<40 {
			return n, nil
		}
		n = n*10 + int64(r-'0')
	}
	return n, nil
}

// logAttempt logs each attempt's metadata: method, host, path, attempt.
func (c *Client) logAttempt(_ retryablehttp.Logger, req *http.Request, attempt int) {
	if c.logger == nil {
		return
	}
	level := slog.LevelDebug
	if attempt > 0 {
		level = slog.LevelInfo
	}
	c.logger.LogAttrs(req.Context(), level, "checkoutkit request",
		slog.String("provider", c.provider),
		slog.String("method", req.Method),
		slog.String("host", req.URL.Host),
		slog.String("path", req.URL.Path),
		slog.Int("attempt", attempt+1))
}
