// Command genprovider writes the code the four provider packages share
// word for word: options.go (the shared options), aliases.go (the error
// types and sentinels of package checkoutkit under the package's name) and
// client_gen.go (the Client type and its Close, String, GoString and LogValue methods, and for
// the server-to-server clients AccessToken, InvalidateToken, URL, Call, Do,
// TokenSource, OAuth2Transport and HTTPClient), and webhook_options.go (the webhook receiver's options); and in each fake, <pkg>/<pkg>test/server_gen.go
// (URL, Close, the counters and the webhook delivery methods). One template per file, and data.go for what differs, are the
// single source; the per-package godoc stays in the output.
//
// Run it from the module root with go generate ./internal/provider/ (or go
// run ./internal/cmd/genprovider). Its test fails when a checked-in file
// differs from what the templates produce, so CI catches a file edited by
// hand or a template changed without regenerating.
package main

import (
	"bytes"
	"embed"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"text/template"
)

//go:embed *.tmpl
var templates embed.FS

// pkg is one provider package's data.
type pkg struct {
	Pkg            string  // package name and directory
	ClientDoc      string  // Client's doc comment
	Cred           string  // what String hides: "key", "credentials"
	RetryAllCalls  string  // the calls WithRetryAllMethods affects; "" for no such option
	ReuseCalls     string  // the calls WithoutReuse affects; "" for no such option
	Bearer         *bearer // the server-to-server token's methods; nil for none
	BaseURLDoc     string  // WithBaseURL's doc comment
	APIErrorDoc    string  // APIError's doc comment
	Sentinels      []sentinel
	OptionFields   string // extra fields of the options struct, for the package's own options (in a file of its own)
	WebhookTimeout string // WithWebhookTimeout's default, as its doc says it
	Fake           fake   // the package's fake, <pkg>/<pkg>test
	Webhook        webhook
}

// webhook is what differs between the packages' VerifyWebhook and
// WebhookHandler: their docs, the headers scrubbed from logged errors and
// the handle deadline. How a delivery is verified is each package's
// webhookVerifier.
type webhook struct {
	SignatureErrDoc, TimestampErrDoc, PayloadErrDoc string // the docs of the ErrWebhook* aliases
	VerifyDoc, HandlerDoc                           string // the docs of VerifyWebhook and WebhookHandler
	SecretHeaders                                   string // Go expressions, the headers' names
	Timeout                                         string // a Go expression, the default handle deadline
}

// fake is what differs between the fakes (<pkg>test) in the code they
// share: URL, Close, the counters, and the webhook delivery methods over
// internal/fakesrv's queue.
type fake struct {
	Pkg            string    // "cartevotest"
	URLSuffix      string    // what URL adds to the server's root, e.g. "/api/v1"
	RedeliverDoc   string    // the end of Redeliver's first sentence
	WithWebhookDoc string    // WithWebhook's doc comment
	CheckSecret    bool      // SetWebhook calls the package's checkWebhookSecret(url, secret) first
	Unsigned       bool      // the Server has an unsigned field (WithUnsignedWebhooks)
	Fire           bool      // generate fire(data, types...); false where the fake has its own
	Counters       []counter // in the vocabulary every fake shares (see data.go)
}

// counter is one of a fake's int counters, read under s.mu.
type counter struct {
	Name  string // the method
	Field string // the Server field it reads
	Doc   string // its doc comment
}

// bearer names a server-to-server token in the docs of its methods.
type bearer struct {
	API            string // "Cartevo", "the partner API"
	Token          string // "token", "access token"
	ExamplePath    string // an API path for the docs of URL and Call
	AccessTokenDoc string // AccessToken's doc comment
	CallDoc        string // the last paragraph of Call's doc comment: what decodes into out
}

type sentinel struct {
	Name string // as in package checkoutkit
	Doc  string // its doc comment in this package
}

// outputs maps each template to the file it writes in every package.
var outputs = map[string]string{
	"options.go.tmpl": "options.go",
	"aliases.go.tmpl": "aliases.go",
	"client.go.tmpl":  "client_gen.go",

	"webhook_options.go.tmpl": "webhook_options.go",
	"webhook.go.tmpl":         "webhook_gen.go",
}

// fakeOutputs maps each template to the file it writes in every fake's
// directory, <pkg>/<pkg>test.
var fakeOutputs = map[string]string{
	"fake.go.tmpl": "server_gen.go",
}

// generate returns every generated file's path below root and contents.
func generate(root string) (map[string][]byte, error) {
	tmpl, err := template.ParseFS(templates, "*.tmpl")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, p := range packages {
		dirs := []struct {
			dir     string
			outputs map[string]string
		}{{p.Pkg, outputs}, {filepath.Join(p.Pkg, p.Fake.Pkg), fakeOutputs}}
		for _, d := range dirs {
			for name, out := range d.outputs {
				var buf bytes.Buffer
				if err := tmpl.ExecuteTemplate(&buf, name, p); err != nil {
					return nil, fmt.Errorf("%s/%s: %w", d.dir, out, err)
				}
				src, err := format.Source(buf.Bytes())
				if err != nil {
					return nil, fmt.Errorf("%s/%s: %w", d.dir, out, err)
				}
				files[filepath.Join(root, d.dir, out)] = src
			}
		}
	}
	return files, nil
}

func main() {
	root := flag.String("root", ".", "the module root")
	flag.Parse()
	files, err := generate(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genprovider:", err)
		os.Exit(1)
	}
	for path, src := range files {
		if err := os.WriteFile(path, src, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "genprovider:", err)
			os.Exit(1)
		}
	}
}
