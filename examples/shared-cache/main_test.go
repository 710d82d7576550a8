package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit/internal/pgtest"
	"github.com/checkoutkit/checkoutkit/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSharedCache(t *testing.T) {
	for _, tc := range []struct {
		name     string
		replicas func(t *testing.T) Replicas
	}{
		{"redis", func(t *testing.T) Replicas { return RedisReplicas(redistest.Start(t).Addr) }},
		{"postgres", func(t *testing.T) Replicas { return SQLReplicas("pgx", pgtest.Start(t).DSN) }},
		{"sqlite", func(t *testing.T) Replicas { return SQLReplicas("sqlite", filepath.Join(t.TempDir(), "tokens.db")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.replicas(t)
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), &out, r))
			s := out.String()
			assert.Contains(t, s, "(mints: 1)\nreplica B got it     same token: true, from "+r.Name+": true (mints: 1)")
			assert.Contains(t, s, "both replicas recovered with 2 mint(s) in all")
			assert.NotContains(t, s, "eyJ", "no token printed")
		})
	}
}

func TestUnknownStore(t *testing.T) {
	assert.ErrorContains(t, start("mysql"), "want redis, postgres or sqlite")
}
