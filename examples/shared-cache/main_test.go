package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/checkoutkit/checkoutkit/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSharedCache(t *testing.T) {
	srv := redistest.Start(t)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, srv.Addr))
	s := out.String()
	assert.Contains(t, s, "(mints: 1)\nreplica B got it     same token: true, from Redis: true (mints: 1)")
	assert.Contains(t, s, "both replicas recovered with 2 mint(s) in all")
}
