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
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/checkoutkit/checkoutkit"
)

// UserAgent is sent with every request.
const UserAgent = "checkoutkit-go/" + checkoutkit.Version

// Defaults for Config fields left zero.
const (
	DefaultMaxAttempts   = 3
	DefaultMinWait       = 100 * time.Millisecond
	DefaultMaxWait       = 2 * time.Second
	DefaultMaxRetryAfter = 5 * time.Second
	DefaultMaxBody       = 1 << 20
	DefaultHeaderTimeout = 30 * time.Second
	maxRequestIDLen      = 128
	// MaxFields bounds the provider's per-field errors an APIError keeps,
	// as its message is bounded: an error never holds a whole body.
	MaxFields = 20
)

// ErrorDecoder fills in the provider fields (Code, Message, Fields, Kind)
// of e from an error response body. It must not copy secrets into e;
// messages pass through the client's redaction afterwards.
type ErrorDecoder func(e *APIError, body []byte)

// Config configures a Client. Zero fields take the defaults above; negative
// ones, or MinWait above MaxWait, are an error from New.
type Config struct {
	Provider      string
	BaseURL       string
	HTTPClient    *http.Client // copied, never modified; nil: a default one
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
	rc            *retryablehttp.Client // the retry policy; transientKey in a request's context says what it may retry
	maxRetryAfter time.Duration
	maxBody       int64
	logger        *slog.Logger
	decode        ErrorDecoder
	redact        *Redactor
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	base, err := ParseBaseURL(cfg.Provider, cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	c := &Client{
		provider:      cfg.Provider,
		base:          base,
		maxRetryAfter: orDefault(cfg.MaxRetryAfter, DefaultMaxRetryAfter),
		maxBody:       cfg.MaxBody,
		logger:        cfg.Logger,
		decode:        cfg.DecodeError,
		redact:        NewRedactor(cfg.Secrets...),
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxBody
	}
	attempts := cfg.MaxAttempts
	if attempts == 0 {
		attempts = DefaultMaxAttempts
	}
	c.hc = c.copyClient(cfg.HTTPClient)
	c.ownTransport = cfg.HTTPClient == nil || cfg.HTTPClient.Transport == nil
	// retryablehttp closes its client's idle connections when it gives up
	// and when a context ends during a retry's wait. Through c.hc that
	// would reach a caller's transport (costing their other traffic its
	// keep-alives) and our own (a new handshake with a provider in
	// trouble). It gets a copy whose transport does not pass that on.
	rhc := *c.hc
	rhc.Transport = keepIdle{c.hc.Transport}
	c.rc = &retryablehttp.Client{
		HTTPClient:   &rhc,
		RetryWaitMin: orDefault(cfg.MinWait, DefaultMinWait),
		RetryWaitMax: orDefault(cfg.MaxWait, DefaultMaxWait),
		RetryMax:     attempts - 1,
		CheckRetry: func(ctx context.Context, resp *http.Response, err error) (bool, error) {
			transient, _ := ctx.Value(transientKey{}).(bool)
			return c.checkRetry(ctx, resp, err, transient)
		},
		Backoff:      c.backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	return c, nil
}

// keepIdle is a transport without CloseIdleConnections, so that
// http.Client.CloseIdleConnections leaves the wrapped one's alone.
type keepIdle struct{ http.RoundTripper }

// transientKey marks, in a request's context, a call whose network errors
// and 5xx may be retried (Request.Retry): one retry policy, chosen per call.
type transientKey struct{}

// checkConfig refuses negative settings and a retry wait whose minimum
// exceeds its maximum, naming the Config field. Provider packages check
// their options first and name them (the option names are theirs).
func checkConfig(cfg Config) error {
	minWait, maxWait := orDefault(cfg.MinWait, DefaultMinWait), orDefault(cfg.MaxWait, DefaultMaxWait)
	switch {
	case cfg.MaxAttempts < 0:
		return Invalid(cfg.Provider, "MaxAttempts", "must not be negative (0 means the default, 3)")
	case cfg.MinWait < 0 || cfg.MaxWait < 0:
		return Invalid(cfg.Provider, "MinWait/MaxWait", "must not be negative")
	case minWait > maxWait:
		return Invalid(cfg.Provider, "MinWait/MaxWait", "min must not exceed max")
	case cfg.MaxRetryAfter < 0:
		return Invalid(cfg.Provider, "MaxRetryAfter", "must not be negative")
	case cfg.MaxBody < 0:
		return Invalid(cfg.Provider, "MaxBody", "must not be negative")
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// copyClient returns a copy of hc (so the caller's client is never
// modified), or with none a client on a clone of http.DefaultTransport with
// a finite ResponseHeaderTimeout. The copy never follows a redirect: a 3xx
// comes back as it is, and the request path turns it into an error, so that
// no credential or token is ever replayed to another host or over http.
func (c *Client) copyClient(hc *http.Client) *http.Client {
	var cp http.Client
	if hc != nil {
		cp = *hc
	}
	if cp.Transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.ResponseHeaderTimeout = DefaultHeaderTimeout
		cp.Transport = t
	}
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if c.logger != nil {
		cp.Transport = &logTransport{next: cp.Transport, c: c}
	}
	return &cp
}

// Close closes the idle connections of a transport the Client created
// itself (never those of a caller's client).
func (c *Client) Close() {
	if c.ownTransport {
		c.hc.CloseIdleConnections()
	}
}

// Provider returns the provider name errors start with.
func (c *Client) Provider() string { return c.provider }

// Redactor returns the client's redactor: its credentials and every token
// it has minted or sent.
func (c *Client) Redactor() *Redactor { return c.redact }

// BaseURL returns a copy of the validated base URL.
func (c *Client) BaseURL() *url.URL {
	u := *c.base
	return &u
}

// URL joins path to the base URL's path. A query string in path ("?a=1")
// becomes the URL's query, followed by query's values.
func (c *Client) URL(path string, query url.Values) *url.URL {
	u := *c.base
	raw := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, raw = path[:i], path[i+1:]
	}
	u.Path = c.base.Path + "/" + strings.TrimLeft(path, "/")
	if q := query.Encode(); q != "" {
		if raw != "" {
			raw += "&"
		}
		raw += q
	}
	u.RawQuery = raw
	return &u
}

// Request is one call to the provider.
type Request struct {
	Method      string
	Path        string // relative to the base URL's path; may carry "?query"
	Query       url.Values
	Header      http.Header
	Body        []byte
	ContentType string

	// Auth, if set, supplies the Bearer token: the request then refreshes
	// once on a 401 (see [Client.DoAuth]).
	Auth Auth

	// Retry allows retrying network errors and 5xx: set it for calls that
	// are safe to repeat (token mints, lookups). 429 is always retried,
	// within the Retry-After cap.
	Retry bool
}

// Response is a successful (2xx) answer, its body read in full.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	Method     string // of the request
	Path       string // of the request, without query
}

// Send performs r and reads the body through the size limit. A non-2xx
// answer is returned as an *APIError. Every provider call goes through here
// or through DoAuth: token mints, lookups, authenticated calls.
func (c *Client) Send(ctx context.Context, r Request) (*Response, error) {
	u := c.URL(r.Path, r.Query)
	req, err := http.NewRequestWithContext(c.callContext(ctx, r.Retry), r.Method, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: building request: %w", c.provider, err)
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	var body any // what retryablehttp's SetBody takes: nil or the bytes themselves
	if r.Body != nil {
		body = r.Body
	}
	resp, err := c.exchange(req, body, r.Auth)
	if err != nil {
		return nil, err
	}
	return c.Read(resp)
}

// Read reads and closes a response's body through the size limit: a 2xx is
// returned whole, anything else as an *APIError.
func (c *Client) Read(resp *http.Response) (*Response, error) {
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

// callContext is ctx carrying what the retry policy and the log need to
// know about one call: whether its network errors and 5xx may be retried
// (transientKey), and with a logger, its attempt count. Every request that
// exchange sends is made on one.
func (c *Client) callContext(ctx context.Context, retry bool) context.Context {
	ctx = context.WithValue(ctx, transientKey{}, retry)
	if c.logger != nil {
		ctx = context.WithValue(ctx, attemptsKey{}, new(atomic.Int32))
	}
	return ctx
}

// exchange is the one path every request takes: it attaches auth's token
// (to the base URL's scheme and host only), sends through the retry policy
// (network errors and 5xx retried only when req's context allows it, see
// callContext), refuses to follow a redirect, and after a 401 drops exactly
// the token it sent, gets a new one and sends once more. req is the
// caller's to give away (Send builds it, DoAuth clones it): its first
// attempt goes out as it is, with the User-Agent and token set in its
// Header, and no second request is built for the retry layer. body, nil or
// what retryablehttp's Request.SetBody takes ([]byte, or a ReaderFunc
// yielding it afresh), is sent with each attempt; req's own Body is ignored
// and its ContentLength kept. The caller owns the response body.
func (c *Client) exchange(req *http.Request, body any, auth Auth) (*http.Response, error) {
	if auth != nil && (req.URL.Scheme != c.base.Scheme || req.URL.Host != c.base.Host) {
		return nil, Invalid(c.provider, "req.URL", "must use the client's base URL scheme and host ("+c.base.Scheme+"://"+c.base.Host+")")
	}
	if err := c.CheckHost(req); err != nil {
		return nil, err
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", UserAgent)
	}
	length := req.ContentLength
	send := func(out *http.Request, tok string) (*http.Response, error) {
		if tok != "" {
			out.Header.Set("Authorization", "Bearer "+tok)
		}
		rreq := &retryablehttp.Request{Request: out}
		if err := rreq.SetBody(body); err != nil {
			return nil, c.transportError(req, err)
		}
		if body != nil && length > 0 {
			rreq.ContentLength = length // a ReaderFunc's copy may not say its length
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
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			discard(resp)
			return nil, c.redirectError(resp)
		}
		return resp, nil
	}
	if auth == nil {
		return send(req, "")
	}
	tok, err := c.bearer(req, auth)
	if err != nil {
		return nil, err
	}
	resp, err := send(req, tok)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	if !auth.Reject(tok) {
		// The token was minted moments ago by a refresh after another
		// 401: a new one would be refused too, so the caller gets this
		// 401 and the provider is spared a mint storm.
		c.log(req.Context(), "bearer token rejected again soon after a refresh; not refreshing", req)
		return resp, nil
	}
	discard(resp)
	c.log(req.Context(), "bearer token rejected; refreshing once", req)
	if tok, err = c.bearer(req, auth); err != nil {
		return nil, err
	}
	// A request of its own for the second try: the first one's Header
	// is not written to once it has been sent.
	return send(req.Clone(req.Context()), tok)
}

// bearer gets auth's token, remembered for redaction; a caller's context
// ending while it waits is wrapped with the call.
func (c *Client) bearer(req *http.Request, auth Auth) (string, error) {
	tok, err := auth.BearerToken(req.Context())
	if err != nil {
		return "", c.WrapContextError(err, req.Method, req.URL.Path)
	}
	if err := CheckToken(tok); err != nil {
		return "", fmt.Errorf("%s: %s %s: %w: bearer token %v", c.provider, req.Method, req.URL.Path, ErrUnexpectedResponse, err)
	}
	c.redact.Remember(tok)
	return tok, nil
}

// WrapContextError names the call in a bare context error (a caller that
// stopped waiting), so that "context deadline exceeded" says what timed
// out; errors.Is still matches context.Canceled and DeadlineExceeded. Other
// errors are returned as they are.
func (c *Client) WrapContextError(err error, method, path string) error {
	if err == context.Canceled || err == context.DeadlineExceeded {
		return fmt.Errorf("%s: %s %s: %w", c.provider, method, path, err)
	}
	return err
}

// redirectError reports a 3xx answer, which is never followed: a
// credentialed call must not carry its credential to another location.
func (c *Client) redirectError(resp *http.Response) *APIError {
	e := c.ErrorFor(ResponseOf(resp, nil), resp.StatusCode)
	e.Message = "redirect not followed"
	return e
}

// discard drains a little of a response body, so the connection can be
// reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
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
		RequestID:  c.requestID(r.Header),
		Method:     r.Method,
		Path:       r.Path,
	}
	if status == http.StatusTooManyRequests || status >= 500 {
		e.RetryAfter, _ = ParseRetryAfter(r.Header.Get("Retry-After"), time.Now())
	}
	if c.decode != nil && len(r.Body) > 0 {
		c.decode(e, r.Body)
	}
	e.Message = c.redact.Clean(e.Message)
	e.Code = c.redact.Clean(e.Code)
	if len(e.Fields) > MaxFields {
		e.Fields = e.Fields[:MaxFields]
	}
	for i := range e.Fields {
		e.Fields[i].Provider = c.provider
		e.Fields[i].Field = c.redact.Clean(e.Fields[i].Field)
		e.Fields[i].Reason = c.redact.Clean(e.Fields[i].Reason)
	}
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
	// The plain "application/json" that nearly every answer carries is
	// JSON as it stands; anything else is parsed to be judged.
	if ct := resp.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
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
	}
	return "malformed"
}

func (c *Client) requestID(h http.Header) string {
	for _, k := range []string{"X-Request-Id", "Request-Id", "X-Correlation-Id", "X-Amzn-Requestid", "Cf-Ray"} {
		if v := h.Get(k); v != "" {
			// Redacted before it is cut: a token crossing the cut
			// would no longer match as a whole.
			v = c.redact.Clean(v)
			if len(v) > maxRequestIDLen {
				cut := maxRequestIDLen
				for cut > 0 && !isRuneStart(v[cut]) {
					cut--
				}
				v = v[:cut]
			}
			return v
		}
	}
	return ""
}

// checkRetry retries 429 (within the Retry-After cap) always, and network
// errors, 500, 502, 503 and 504 when retryable; never other statuses, and
// never once the context has ended.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error, retryable bool) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryable && isTransient(err), nil
	}
	// A Retry-After beyond the cap is never waited on, whatever the status:
	// the answer comes back at once instead. Only the statuses that may be
	// retried read it: a 200 costs no header parse and no clock read.
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		return c.withinRetryAfterCap(resp), nil
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return retryable && c.withinRetryAfterCap(resp), nil
	}
	return false, nil
}

// withinRetryAfterCap reports whether resp's Retry-After, if any, is one
// the client waits on.
func (c *Client) withinRetryAfterCap(resp *http.Response) bool {
	ra, _ := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	return ra <= c.maxRetryAfter
}

// isTransient reports whether a transport error is worth another try:
// anything but a certificate problem, which the next try would meet again.
// (A redirect loop cannot happen, redirects are never followed, nor can a
// bad scheme: the base URL is checked to be http or https.)
func isTransient(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	return !errors.As(err, &certErr) && !errors.As(err, &unknownCA) && !errors.As(err, &hostErr) && !errors.As(err, &invalidCert)
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
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		// A value out of range parses as the largest uint64; both are capped.
		return time.Duration(min(secs, uint64(maxRetryAfterSecs))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		// Capped as delay-seconds are: a date centuries ahead is no hint.
		return min(max(t.Sub(now), 0), maxRetryAfterSecs*time.Second), true
	}
	return 0, false
}

// maxRetryAfterSecs caps a Retry-After, in seconds or as a date: a day.
const maxRetryAfterSecs = 24 * 60 * 60
