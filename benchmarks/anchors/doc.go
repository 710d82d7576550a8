// Package anchors holds no code: its tests measure package tokencache beside
// the token caches of four other libraries (the "anchors" of issue 25),
// doing the same work over the same in-memory fake provider in the same run.
//
// It is a module of its own (github.com/checkoutkit/checkoutkit/benchmarks/anchors,
// with checkoutkit replaced by the checkout two directories up) so that the
// AWS, Google and Azure SDKs it needs never enter checkoutkit's go.mod: users
// of checkoutkit do not download them, and the main module's dependency list
// is what it was. Run it from this directory:
//
//	cd benchmarks/anchors && go test -run '^$' -bench . -count 6
//
// and `go test` alone for TestAnchorsAgree, which asks each implementation
// for its token twice and checks it gets the value the provider minted,
// through one provider call. Nothing here touches the network: no listener
// and no dialling; the provider and the service requests go to are both
// functions in memory.
//
// # The implementations (sub-benchmarks impl=...)
//
//   - tokencache.Source and tokencache.Get: Cache.Source(key,
//     fetch).Token(ctx) and Cache.Get(ctx, key, fetch), with the defaults
//     of tokencache.New.
//   - oauth2.ReuseTokenSource: golang.org/x/oauth2's ReuseTokenSource(nil,
//     src).Token(). A mutex on every call; refreshes synchronously, under
//     that mutex, 10 s before expiry. Its Token takes no context.
//   - aws.CredentialsCache: aws-sdk-go-v2's aws.NewCredentialsCache over an
//     aws.CredentialsProviderFunc, Retrieve(ctx), with credentials that
//     CanExpire an hour ahead (the token is their SessionToken). Default
//     options: no expiry window, so it refreshes only at expiry, on the
//     caller's path. The hit is an atomic load and a clock read; a miss
//     goes through singleflight's DoChan and a select on the caller's
//     context, and the provider runs on a context whose cancellation is
//     suppressed.
//   - googleauth.CachedTokenProvider: cloud.google.com/go/auth's
//     auth.NewCachedTokenProvider(tp, nil), Token(ctx), over a provider
//     function (the package has no func adapter; the test defines one).
//     Defaults: ExpireEarly 3 min 45 s, auto refresh on, and async refresh
//     on (DisableAsyncRefresh false): a token inside the early window is
//     served while one goroutine refreshes it; a failed async refresh is not
//     retried until the token expires. A fresh hit takes its mutex twice. An
//     empty or expired token is fetched synchronously with the caller's
//     context, holding the mutex, so waiting callers queue on it.
//   - azcore.BearerTokenPolicy: azcore's token cache (internal/temporal's
//     Resource, a sync.Cond) is reachable only through
//     runtime.NewBearerTokenPolicy in a pipeline. The pipeline is
//     runtime.NewPipeline with the policy as its one PerRetry policy,
//     telemetry disabled, MaxRetries -1 and no log listener; NewPipeline
//     still adds its include-response, retry, header, trace, log and
//     body-download policies, which cannot be removed. Its transport is an
//     in-memory policy.Transporter answering 200. Each call is
//     runtime.NewRequest plus pipeline.Do. The cache refreshes 5 minutes
//     before expiry, synchronously, on the path of the one caller that
//     notices; waiters on an empty cache wait in sync.Cond.Wait, which no
//     context can end; the fetch gets the request's context.
//   - tokencache.Source+transport: checkoutkit's like-for-like to azcore's
//     policy, an *http.Client whose Transport (bearerTransport, in the
//     test file) sets "Authorization: Bearer "+token from a tokencache.Source
//     on a copy of the request and hands it to the same in-memory service.
//
// # The benchmarks
//
//   - BenchmarkFixedKeyHit, BenchmarkFixedKeyHitParallel: one token cached
//     an hour ahead, asked for again and again (serially; with
//     b.RunParallel). A pure cache read for every library but azcore,
//     which has no such call and is measured in BenchmarkRequestAuth.
//   - BenchmarkRequestAuth (serial, parallel): attach the cached token to
//     one request and send it to the in-memory service, which answers 403
//     unless the Authorization header carries the token. The -no-auth rows
//     are the same request through the same stack without authorization:
//     what net/http and azcore's pipeline cost by themselves. Most of
//     azcore's figure is its pipeline, not its cache.
//   - BenchmarkColdHerd: 100, 1,000 and 10,000 goroutines released at once
//     ask an empty cache for one token; the provider takes 20 ms. The floor
//     (impl=closed-channel) is that many goroutines waiting on one channel
//     closed 20 ms after the first arrives. Every caller's context is
//     context.Background(). The azcore and tokencache.Source+transport rows
//     send a request per caller, so at 10,000 callers most of their
//     makespan is the request stack: their floors are the closed channel
//     with one unauthorized request per caller through the same stack,
//     built before the wait and sent after it, as in those rows
//     (closed-channel+http.Client-no-auth, closed-channel+azcore.Pipeline-no-auth).
//     Reports makespan-ms and fetches/op.
//   - BenchmarkFailingHerd: 100 concurrent callers while the provider fails
//     (5 ms a call), then 10 sequential callers; every one must get the
//     provider's error. Reports upstream-calls/op: tokencache backs off
//     after the first failure; aws shares one failing call among the
//     callers that overlap it but calls again for each later caller;
//     oauth2, Google auth and azcore serialise the callers and call the
//     provider for every one.
//   - BenchmarkLeaderCancel: the caller that started a 20 ms fetch cancels
//     its context 5 ms in; 10 other callers wait with context.Background()
//     and must all get the token. Reports leader-return-µs (from the cancel
//     to the leader's return), leader-cancelled/op (1 if it returned the
//     cancellation, 0 if it could only wait for the token, as
//     oauth2's Token, which takes no context) and upstream-calls/op. The
//     fake provider gives up when its context ends, as an HTTP token
//     request would: where a library hands the leader's context to the
//     fetch (Google auth, azcore), the fetch dies with the leader and the
//     next caller in line fetches again; aws and tokencache detach it.
//
// The herd helper and the metrics are copied from tokencache/bench_test.go,
// so that these rows and the README's compare like for like. Compare
// implementations by the ratio within one run (sub-benchmarks of one
// benchmark run one after another), taken run by run, as the README does:
// on a shared 2-core machine the absolute figures, the parallel and
// 10,000-goroutine ones above all, move from run to run.
package anchors
