package provider

// The provider packages' shared options, error aliases and client methods
// are generated from one template each; see internal/cmd/genprovider.
//go:generate go run ../cmd/genprovider -root ../..
