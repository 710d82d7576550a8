package anchors_test

// The anchors of issue 25 beside tokencache, in one run: every benchmark
// has one sub-benchmark per implementation, named impl=..., over the same
// in-memory fake provider. doc.go says what each one measures.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/auth"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/oauth2"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

// ---------------------------------------------------------------------------
// The fake provider and the adapters each library wants around it.

// upstream is the fake provider behind every implementation: it counts its
// calls, takes delay (and, as an HTTP token request would, gives up when
// its context ends), then mints value, valid for an hour, or fails with err.
type upstream struct {
	value   string
	delay   time.Duration
	err     error
	started chan struct{} // closed by the first call, if not nil

	calls     atomic.Int64
	startOnce sync.Once
}

func (u *upstream) mint(ctx context.Context) (string, time.Time, error) {
	u.calls.Add(1)
	if u.started != nil {
		u.startOnce.Do(func() { close(u.started) })
	}
	if u.delay > 0 {
		t := time.NewTimer(u.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return "", time.Time{}, ctx.Err()
		}
	}
	if u.err != nil {
		return "", time.Time{}, u.err
	}
	return u.value, time.Now().Add(time.Hour), nil
}

func (u *upstream) fetch(ctx context.Context) (tokencache.Token, error) {
	v, exp, err := u.mint(ctx)
	if err != nil {
		return tokencache.Token{}, err
	}
	return tokencache.Token{Value: v, Type: "Bearer", ExpiresAt: exp}, nil
}

// oauthSrc adapts a function to oauth2.TokenSource (which takes no context).
type oauthSrc func() (*oauth2.Token, error)

func (f oauthSrc) Token() (*oauth2.Token, error) { return f() }

func (u *upstream) oauth2() oauth2.TokenSource {
	return oauthSrc(func() (*oauth2.Token, error) {
		v, exp, err := u.mint(context.Background())
		if err != nil {
			return nil, err
		}
		return &oauth2.Token{AccessToken: v, TokenType: "Bearer", Expiry: exp}, nil
	})
}

func (u *upstream) aws() aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(ctx context.Context) (aws.Credentials, error) {
		v, exp, err := u.mint(ctx)
		if err != nil {
			return aws.Credentials{}, err
		}
		return aws.Credentials{
			AccessKeyID: "AKIDANCHORS", SecretAccessKey: "secret", SessionToken: v,
			Source: "anchors", CanExpire: true, Expires: exp,
		}, nil
	})
}

// googleSrc adapts a function to auth.TokenProvider (the package has no
// func adapter of its own).
type googleSrc func(context.Context) (*auth.Token, error)

func (f googleSrc) Token(ctx context.Context) (*auth.Token, error) { return f(ctx) }

func (u *upstream) google() auth.TokenProvider {
	return googleSrc(func(ctx context.Context) (*auth.Token, error) {
		v, exp, err := u.mint(ctx)
		if err != nil {
			return nil, err
		}
		return &auth.Token{Value: v, Type: "Bearer", Expiry: exp}, nil
	})
}

// azureCred adapts a function to azcore.TokenCredential.
type azureCred func(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error)

func (f azureCred) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return f(ctx, o)
}

func (u *upstream) azure() azcore.TokenCredential {
	return azureCred(func(ctx context.Context, _ policy.TokenRequestOptions) (azcore.AccessToken, error) {
		v, exp, err := u.mint(ctx)
		if err != nil {
			return azcore.AccessToken{}, err
		}
		return azcore.AccessToken{Token: v, ExpiresOn: exp}, nil
	})
}

// ---------------------------------------------------------------------------
// The in-memory service the request rows send to, and checkoutkit's
// transport.

const serviceURL = "https://service.anchors.invalid/v1/thing"

// fakeService answers every request in memory, never touching the network:
// 200, or 403 when want is set and the request's Authorization is not it.
// It is both an http.RoundTripper and azcore's policy.Transporter.
type fakeService struct{ want string }

func (s fakeService) RoundTrip(req *http.Request) (*http.Response, error) { return s.serve(req), nil }
func (s fakeService) Do(req *http.Request) (*http.Response, error)        { return s.serve(req), nil }

func (s fakeService) serve(req *http.Request) *http.Response {
	code := http.StatusOK
	if s.want != "" && req.Header.Get("Authorization") != s.want {
		code = http.StatusForbidden
	}
	return &http.Response{
		Status: http.StatusText(code), StatusCode: code,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header), Body: http.NoBody, Request: req,
	}
}

// bearerTransport authorizes each request with the token of a
// tokencache.Source: checkoutkit's equivalent of azcore's BearerTokenPolicy.
type bearerTransport struct {
	src  *tokencache.Source
	next http.RoundTripper
}

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.src.Token(req.Context())
	if err != nil {
		return nil, err
	}
	r := *req // a RoundTripper must not modify the caller's request
	r.Header = req.Header.Clone()
	if r.Header == nil {
		r.Header = make(http.Header, 1)
	}
	r.Header.Set("Authorization", "Bearer "+tok.Value)
	return t.next.RoundTrip(&r)
}

// azPipeline is an azcore pipeline as small as ClientOptions allow
// (telemetry off, no retries, no log listener) over next, with the bearer
// policy for cred if cred is not nil. NewPipeline always adds its own
// include-response, retry, header, trace, log and body-download policies.
func azPipeline(cred azcore.TokenCredential, next policy.Transporter) runtime.Pipeline {
	var pl runtime.PipelineOptions
	if cred != nil {
		pl.PerRetry = []policy.Policy{runtime.NewBearerTokenPolicy(cred, []string{"https://service.anchors.invalid/.default"}, nil)}
	}
	return runtime.NewPipeline("anchors", "v0.0.0", pl, &policy.ClientOptions{
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Telemetry: policy.TelemetryOptions{Disabled: true},
		Transport: next,
	})
}

// seenToken returns the bearer token the fake service was sent.
func seenToken(resp *http.Response) (string, error) {
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("service answered %d", resp.StatusCode)
	}
	v, ok := strings.CutPrefix(resp.Request.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return "", errors.New("request reached the service without a bearer token")
	}
	return v, nil
}

// ---------------------------------------------------------------------------
// Every implementation as one token-per-call function, for the herd rows
// and the test. The hit rows call each library directly instead, so that
// they time the library's call and nothing else.

type anchor struct {
	name string
	// open wraps u in a new, empty cache of this kind; get asks it for
	// the token once, close releases it.
	open func(u *upstream) (get func(context.Context) (string, error), close func())
}

var anchors = []anchor{
	{"tokencache.Get", func(u *upstream) (func(context.Context) (string, error), func()) {
		c := tokencache.New()
		return func(ctx context.Context) (string, error) {
			t, err := c.Get(ctx, "k", u.fetch)
			return t.Value, err
		}, func() { _ = c.Close() }
	}},
	{"oauth2.ReuseTokenSource", func(u *upstream) (func(context.Context) (string, error), func()) {
		ts := oauth2.ReuseTokenSource(nil, u.oauth2())
		return func(context.Context) (string, error) {
			t, err := ts.Token()
			if err != nil {
				return "", err
			}
			return t.AccessToken, nil
		}, func() {}
	}},
	{"aws.CredentialsCache", func(u *upstream) (func(context.Context) (string, error), func()) {
		cc := aws.NewCredentialsCache(u.aws())
		return func(ctx context.Context) (string, error) {
			cr, err := cc.Retrieve(ctx)
			return cr.SessionToken, err
		}, func() {}
	}},
	{"googleauth.CachedTokenProvider", func(u *upstream) (func(context.Context) (string, error), func()) {
		tp := auth.NewCachedTokenProvider(u.google(), nil)
		return func(ctx context.Context) (string, error) {
			t, err := tp.Token(ctx)
			if err != nil {
				return "", err
			}
			return t.Value, nil
		}, func() {}
	}},
	{"azcore.BearerTokenPolicy", func(u *upstream) (func(context.Context) (string, error), func()) {
		pl := azPipeline(u.azure(), fakeService{})
		return func(ctx context.Context) (string, error) {
			req, err := runtime.NewRequest(ctx, http.MethodGet, serviceURL)
			if err != nil {
				return "", err
			}
			resp, err := pl.Do(req)
			if err != nil {
				return "", err
			}
			return seenToken(resp)
		}, func() {}
	}},
	{"tokencache.Source+transport", func(u *upstream) (func(context.Context) (string, error), func()) {
		c := tokencache.New()
		client := &http.Client{Transport: &bearerTransport{src: c.Source("k", u.fetch), next: fakeService{}}}
		return func(ctx context.Context) (string, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, serviceURL, nil)
			if err != nil {
				return "", err
			}
			resp, err := client.Do(req)
			if err != nil {
				return "", err
			}
			return seenToken(resp)
		}, func() { _ = c.Close() }
	}},
}

// TestAnchorsAgree runs each implementation over the fake provider: the
// first call mints, the second is served from the cache, and both return
// the value the provider minted, through one provider call.
func TestAnchorsAgree(t *testing.T) {
	for _, a := range anchors {
		t.Run(a.name, func(t *testing.T) {
			u := &upstream{value: "minted-for-" + a.name, delay: time.Millisecond}
			get, done := a.open(u)
			defer done()
			for i := range 2 {
				v, err := get(context.Background())
				if err != nil {
					t.Fatalf("call %d: %v", i+1, err)
				}
				if v != u.value {
					t.Fatalf("call %d returned %q, the provider minted %q", i+1, v, u.value)
				}
			}
			if n := u.calls.Load(); n != 1 {
				t.Fatalf("%d provider calls for two asks, want 1", n)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Hits: one token, cached an hour ahead, asked for again and again.

var (
	sinkTok    tokencache.Token
	sinkOAuth  *oauth2.Token
	sinkAWS    aws.Credentials
	sinkGoogle *auth.Token
)

// The hit rows are written out per library, each loop calling the library
// directly: a closure per call would add a few ns to every row, and the
// fastest rows are under 10 ns. Each checks the token before its timed loop
// and the last one after it.

// Fixed-key hit, serial: the access-token path of cartevo and altpay.
func BenchmarkFixedKeyHit(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=tokencache.Source", func(b *testing.B) {
		c := tokencache.New()
		defer c.Close()
		src := c.Source("k", (&upstream{value: "v"}).fetch)
		t, err := src.Token(ctx)
		check(b, t.Value, err)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			t, err = src.Token(ctx)
		}
		b.StopTimer()
		check(b, t.Value, err)
		sinkTok = t
	})
	b.Run("impl=tokencache.Get", func(b *testing.B) {
		c := tokencache.New()
		defer c.Close()
		fetch := (&upstream{value: "v"}).fetch
		t, err := c.Get(ctx, "k", fetch)
		check(b, t.Value, err)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			t, err = c.Get(ctx, "k", fetch)
		}
		b.StopTimer()
		check(b, t.Value, err)
		sinkTok = t
	})
	b.Run("impl=oauth2.ReuseTokenSource", func(b *testing.B) {
		ts := oauth2.ReuseTokenSource(nil, (&upstream{value: "v"}).oauth2())
		t, err := ts.Token()
		checkOAuth(b, t, err)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			t, err = ts.Token()
		}
		b.StopTimer()
		checkOAuth(b, t, err)
		sinkOAuth = t
	})
	b.Run("impl=aws.CredentialsCache", func(b *testing.B) {
		cc := aws.NewCredentialsCache((&upstream{value: "v"}).aws())
		cr, err := cc.Retrieve(ctx)
		check(b, cr.SessionToken, err)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			cr, err = cc.Retrieve(ctx)
		}
		b.StopTimer()
		check(b, cr.SessionToken, err)
		sinkAWS = cr
	})
	b.Run("impl=googleauth.CachedTokenProvider", func(b *testing.B) {
		tp := auth.NewCachedTokenProvider((&upstream{value: "v"}).google(), nil)
		t, err := tp.Token(ctx)
		checkGoogle(b, t, err)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			t, err = tp.Token(ctx)
		}
		b.StopTimer()
		checkGoogle(b, t, err)
		sinkGoogle = t
	})
}

// Fixed-key hit from every core at once (b.RunParallel).
func BenchmarkFixedKeyHitParallel(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=tokencache.Source", func(b *testing.B) {
		c := tokencache.New()
		defer c.Close()
		src := c.Source("k", (&upstream{value: "v"}).fetch)
		t, err := src.Token(ctx)
		check(b, t.Value, err)
		var bad atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var t tokencache.Token
			var err error
			ran := false
			for pb.Next() {
				ran = true
				t, err = src.Token(ctx)
			}
			tally(&bad, ran, t.Value, err)
		})
		b.StopTimer()
		checkTally(b, &bad)
	})
	b.Run("impl=tokencache.Get", func(b *testing.B) {
		c := tokencache.New()
		defer c.Close()
		fetch := (&upstream{value: "v"}).fetch
		t, err := c.Get(ctx, "k", fetch)
		check(b, t.Value, err)
		var bad atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var t tokencache.Token
			var err error
			ran := false
			for pb.Next() {
				ran = true
				t, err = c.Get(ctx, "k", fetch)
			}
			tally(&bad, ran, t.Value, err)
		})
		b.StopTimer()
		checkTally(b, &bad)
	})
	b.Run("impl=oauth2.ReuseTokenSource", func(b *testing.B) {
		ts := oauth2.ReuseTokenSource(nil, (&upstream{value: "v"}).oauth2())
		t, err := ts.Token()
		checkOAuth(b, t, err)
		var bad atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var t *oauth2.Token
			var err error
			ran := false
			for pb.Next() {
				ran = true
				t, err = ts.Token()
			}
			var v string
			if t != nil {
				v = t.AccessToken
			}
			tally(&bad, ran, v, err)
		})
		b.StopTimer()
		checkTally(b, &bad)
	})
	b.Run("impl=aws.CredentialsCache", func(b *testing.B) {
		cc := aws.NewCredentialsCache((&upstream{value: "v"}).aws())
		cr, err := cc.Retrieve(ctx)
		check(b, cr.SessionToken, err)
		var bad atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var cr aws.Credentials
			var err error
			ran := false
			for pb.Next() {
				ran = true
				cr, err = cc.Retrieve(ctx)
			}
			tally(&bad, ran, cr.SessionToken, err)
		})
		b.StopTimer()
		checkTally(b, &bad)
	})
	b.Run("impl=googleauth.CachedTokenProvider", func(b *testing.B) {
		tp := auth.NewCachedTokenProvider((&upstream{value: "v"}).google(), nil)
		t, err := tp.Token(ctx)
		checkGoogle(b, t, err)
		var bad atomic.Int64
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var t *auth.Token
			var err error
			ran := false
			for pb.Next() {
				ran = true
				t, err = tp.Token(ctx)
			}
			var v string
			if t != nil {
				v = t.Value
			}
			tally(&bad, ran, v, err)
		})
		b.StopTimer()
		checkTally(b, &bad)
	})
}

func check(b *testing.B, v string, err error) {
	b.Helper()
	if err != nil || v != "v" {
		b.Fatalf("got %q, %v; want the minted token", v, err)
	}
}

func checkOAuth(b *testing.B, t *oauth2.Token, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	check(b, t.AccessToken, nil)
}

func checkGoogle(b *testing.B, t *auth.Token, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	check(b, t.Value, nil)
}

// tally counts a RunParallel goroutine whose last result was wrong (b.Fatal
// may not be called there); one that ran no iteration has none.
func tally(bad *atomic.Int64, ran bool, v string, err error) {
	if ran && (err != nil || v != "v") {
		bad.Add(1)
	}
}

func checkTally(b *testing.B, bad *atomic.Int64) {
	b.Helper()
	if n := bad.Load(); n > 0 {
		b.Fatalf("%d parallel goroutines ended on a wrong token or an error", n)
	}
}

// ---------------------------------------------------------------------------
// Request authorization: attach the cached token to one request and send it
// to an in-memory service that checks it. azcore's token cache is reachable
// only as a pipeline policy, so this is where azcore is measured; beside it
// checkoutkit's equivalent, an *http.Client whose Transport sets the header
// from a tokencache.Source. The -no-auth rows are the same two without
// authorization: the cost of the request machinery alone.

// sendFunc sends one GET to the fake service and returns its status.
type sendFunc func(context.Context) (int, error)

func sendHTTP(client *http.Client) sendFunc {
	return func(ctx context.Context) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, serviceURL, nil)
		if err != nil {
			return 0, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
}

func sendAzure(pl runtime.Pipeline) sendFunc {
	return func(ctx context.Context) (int, error) {
		req, err := runtime.NewRequest(ctx, http.MethodGet, serviceURL)
		if err != nil {
			return 0, err
		}
		resp, err := pl.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
}

func BenchmarkRequestAuth(b *testing.B) {
	b.Run("serial", func(b *testing.B) { requestAuth(b, false) })
	b.Run("parallel", func(b *testing.B) { requestAuth(b, true) })
}

func requestAuth(b *testing.B, parallel bool) {
	const want = "Bearer v"
	c := tokencache.New()
	defer c.Close()
	rows := []struct {
		name string
		send sendFunc
	}{
		{"tokencache.Source+transport", sendHTTP(&http.Client{Transport: &bearerTransport{
			src: c.Source("k", (&upstream{value: "v"}).fetch), next: fakeService{want: want}}})},
		{"azcore.BearerTokenPolicy", sendAzure(azPipeline((&upstream{value: "v"}).azure(), fakeService{want: want}))},
		{"http.Client-no-auth", sendHTTP(&http.Client{Transport: fakeService{}})},
		{"azcore.Pipeline-no-auth", sendAzure(azPipeline(nil, fakeService{}))},
	}
	ctx := context.Background()
	for _, r := range rows {
		b.Run("impl="+r.name, func(b *testing.B) {
			// The first request mints the token; the 200 proves it arrived.
			if code, err := r.send(ctx); err != nil || code != http.StatusOK {
				b.Fatalf("first request: %d, %v", code, err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if !parallel {
				for range b.N {
					if code, err := r.send(ctx); err != nil || code != http.StatusOK {
						b.Fatalf("request: %d, %v", code, err)
					}
				}
				return
			}
			var bad atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if code, err := r.send(ctx); err != nil || code != http.StatusOK {
						bad.Add(1)
					}
				}
			})
			b.StopTimer()
			if n := bad.Load(); n > 0 {
				b.Fatalf("%d requests failed", n)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// Herds. herd and the metrics are tokencache/bench_test.go's.

const (
	herdSize  = 10_000
	fetchTime = 20 * time.Millisecond
)

// herd starts n goroutines blocked on a start signal, releases them and
// returns the makespan: from the signal until every one has returned.
func herd(b *testing.B, n int, call func() error) time.Duration {
	b.Helper()
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Pointer[error]
	for range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			if err := call(); err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, &err)
			}
		}()
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	d := time.Since(t0)
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d callers failed, first: %v", f, *firstErr.Load())
	}
	return d
}

// reportMakespan reports the mean makespan of b.N herds.
func reportMakespan(b *testing.B, total time.Duration) {
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "makespan-ms")
}

// prepFunc builds one GET to the fake service and returns the function that
// sends it, for the herd floors.
type prepFunc func(context.Context) (send func() (int, error), err error)

func prepHTTP(client *http.Client) prepFunc {
	return func(ctx context.Context) (func() (int, error), error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, serviceURL, nil)
		if err != nil {
			return nil, err
		}
		return func() (int, error) {
			resp, err := client.Do(req)
			if err != nil {
				return 0, err
			}
			resp.Body.Close()
			return resp.StatusCode, nil
		}, nil
	}
}

func prepAzure(pl runtime.Pipeline) prepFunc {
	return func(ctx context.Context) (func() (int, error), error) {
		req, err := runtime.NewRequest(ctx, http.MethodGet, serviceURL)
		if err != nil {
			return nil, err
		}
		return func() (int, error) {
			resp, err := pl.Do(req)
			if err != nil {
				return 0, err
			}
			resp.Body.Close()
			return resp.StatusCode, nil
		}, nil
	}
}

// Cold herd: n goroutines ask for one key that has no token; the fetch
// takes 20 ms. The reference is the floor: n goroutines waiting on one
// channel closed after 20 ms. Every caller's context is
// context.Background(). The azcore and tokencache.Source+transport rows
// send a request per caller, so their makespans include n trips through
// a request stack: their floors are the closed channel followed by one
// unauthorized request through the same stack.
func BenchmarkColdHerd(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{100, 1_000, herdSize} {
		// The floor, alone and with one unauthorized request per caller
		// through each request stack: the floors of the rows that send a
		// request per caller. As in those rows, each caller builds its
		// request before it waits and sends it after.
		for _, f := range []struct {
			name string
			prep prepFunc // nil: no request
		}{
			{"closed-channel", nil},
			{"closed-channel+http.Client-no-auth", prepHTTP(&http.Client{Transport: fakeService{}})},
			{"closed-channel+azcore.Pipeline-no-auth", prepAzure(azPipeline(nil, fakeService{}))},
		} {
			b.Run(fmt.Sprintf("goroutines=%d/impl=%s", n, f.name), func(b *testing.B) {
				var makespan time.Duration
				for range b.N {
					once, ch := new(sync.Once), make(chan struct{})
					makespan += herd(b, n, func() error {
						var send func() (int, error)
						if f.prep != nil {
							var err error
							if send, err = f.prep(ctx); err != nil {
								return err
							}
						}
						once.Do(func() { time.AfterFunc(fetchTime, func() { close(ch) }) })
						<-ch
						if send == nil {
							return nil
						}
						if code, err := send(); err != nil || code != http.StatusOK {
							return fmt.Errorf("request: %d, %v", code, err)
						}
						return nil
					})
				}
				reportMakespan(b, makespan)
				b.ReportMetric(1, "fetches/op")
			})
		}
		for _, a := range anchors {
			b.Run(fmt.Sprintf("goroutines=%d/impl=%s", n, a.name), func(b *testing.B) {
				var makespan time.Duration
				u := &upstream{value: "v", delay: fetchTime}
				for range b.N {
					get, done := a.open(u)
					makespan += herd(b, n, func() error {
						v, err := get(ctx)
						if err == nil && v != "v" {
							err = fmt.Errorf("got token %q", v)
						}
						return err
					})
					done()
				}
				reportMakespan(b, makespan)
				b.ReportMetric(float64(u.calls.Load())/float64(b.N), "fetches/op")
			})
		}
	}
}

var errDown = errors.New("provider down")

// Failing herd: 100 concurrent callers while the provider fails (5 ms per
// call), then 10 sequential callers; every one must get the provider's
// error. Reports provider calls per round.
func BenchmarkFailingHerd(b *testing.B) {
	ctx := context.Background()
	const callers, after = 100, 10
	for _, a := range anchors {
		b.Run("impl="+a.name, func(b *testing.B) {
			u := &upstream{delay: 5 * time.Millisecond, err: errDown}
			for range b.N {
				get, done := a.open(u)
				herd(b, callers, func() error {
					if _, err := get(ctx); !errors.Is(err, errDown) {
						return fmt.Errorf("want the provider's error, got %v", err)
					}
					return nil
				})
				for range after {
					if _, err := get(ctx); !errors.Is(err, errDown) {
						b.Fatalf("sequential caller: want the provider's error, got %v", err)
					}
				}
				done()
			}
			b.ReportMetric(float64(u.calls.Load())/float64(b.N), "upstream-calls/op")
		})
	}
}

// Leader cancel: the caller whose call started a 20 ms fetch cancels its
// context 5 ms in; 10 other callers (context.Background()) wait too and must
// all get the token. Reports how long the leader took to return after its
// cancel, the share of rounds in which it returned the cancellation (rather
// than the token, for a library that cannot be cancelled), and the provider
// calls per round.
func BenchmarkLeaderCancel(b *testing.B) {
	const others = 10
	for _, a := range anchors {
		b.Run("impl="+a.name, func(b *testing.B) {
			var calls, cancelled int64
			var lag time.Duration
			for range b.N {
				u := &upstream{value: "v", delay: fetchTime, started: make(chan struct{})}
				get, done := a.open(u)
				ctx, cancel := context.WithCancel(context.Background())
				type result struct {
					v   string
					err error
				}
				leader := make(chan result, 1)
				go func() { v, err := get(ctx); leader <- result{v, err} }()
				<-u.started
				var wg sync.WaitGroup
				var bad atomic.Int64
				var firstBad atomic.Pointer[string]
				for range others {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if v, err := get(context.Background()); err != nil || v != "v" {
							bad.Add(1)
							s := fmt.Sprintf("%q, %v", v, err)
							firstBad.CompareAndSwap(nil, &s)
						}
					}()
				}
				time.Sleep(5 * time.Millisecond)
				t0 := time.Now()
				cancel()
				r := <-leader
				lag += time.Since(t0)
				switch {
				case errors.Is(r.err, context.Canceled):
					cancelled++
				case r.err == nil && r.v == "v":
					// a library whose call cannot be cancelled waits for the token
				default:
					b.Fatalf("leader got %q, %v", r.v, r.err)
				}
				wg.Wait()
				if n := bad.Load(); n > 0 {
					b.Fatalf("%d waiting callers failed after the leader cancelled, first: %s", n, *firstBad.Load())
				}
				calls += u.calls.Load()
				done()
			}
			b.ReportMetric(float64(lag.Microseconds())/float64(b.N), "leader-return-µs")
			b.ReportMetric(float64(cancelled)/float64(b.N), "leader-cancelled/op")
			b.ReportMetric(float64(calls)/float64(b.N), "upstream-calls/op")
		})
	}
}
