// Command genprovider writes the code the four provider packages share
// word for word: options.go (the shared options), aliases.go (the error
// types and sentinels of package checkoutkit under the package's name) and
// client_gen.go (the Client type and its Close, String, GoString and LogValue methods, and for
// the server-to-server clients AccessToken, InvalidateToken, URL, Call, Do,
// TokenSource, OAuth2Transport and HTTPClient), and webhook_options.go (the webhook receiver's options). One template per file, and data.go for what differs, are the
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
}

// generate returns every generated file's path below root and contents.
func generate(root string) (map[string][]byte, error) {
	tmpl, err := template.ParseFS(templates, "*.tmpl")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, p := range packages {
		for name, out := range outputs {
			var buf bytes.Buffer
			if err := tmpl.ExecuteTemplate(&buf, name, p); err != nil {
				return nil, fmt.Errorf("%s/%s: %w", p.Pkg, out, err)
			}
			src, err := format.Source(buf.Bytes())
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", p.Pkg, out, err)
			}
			files[filepath.Join(root, p.Pkg, out)] = src
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
