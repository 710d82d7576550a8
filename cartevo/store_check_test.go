package cartevo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/cartevo"
	"github.com/checkoutkit/checkoutkit/cartevo/cartevotest"
	"github.com/checkoutkit/checkoutkit/tokencache"
)

// plantedStore hands out one entry for every key, as a Store someone with
// write access to Redis could.
type plantedStore struct{ e tokencache.Entry }

func (s plantedStore) Load(context.Context, string) (tokencache.Entry, bool, error) {
	return s.e, true, nil
}
func (plantedStore) Save(context.Context, string, tokencache.Entry) error   { return nil }
func (plantedStore) Delete(context.Context, string, tokencache.Token) error { return nil }
func (plantedStore) TryLock(context.Context, string, time.Duration) (func(context.Context) error, bool, error) {
	return func(context.Context) error { return nil }, true, nil
}

// The access token is served from the hit path without a check, so an
// entry loaded from a Store must pass the checks of a fresh mint first: a
// planted one that fails them is a miss, and the client mints its own.
func TestPlantedStoreAccessTokenIsNotServed(t *testing.T) {
	for name, tok := range map[string]func(now time.Time) tokencache.Token{
		"not a Bearer": func(now time.Time) tokencache.Token {
			return tokencache.Token{Value: "planted", Type: "MAC", ExpiresAt: now.Add(time.Hour)}
		},
		"a control character": func(now time.Time) tokencache.Token {
			return tokencache.Token{Value: "planted\r\nX-Evil: 1", Type: "Bearer", ExpiresAt: now.Add(time.Hour)}
		},
		"40 KiB": func(now time.Time) tokencache.Token {
			return tokencache.Token{Value: strings.Repeat("p", 40<<10), Type: "Bearer", ExpiresAt: now.Add(time.Hour)}
		},
		"two years": func(now time.Time) tokencache.Token {
			return tokencache.Token{Value: "planted", Type: "Bearer", ExpiresAt: now.AddDate(2, 0, 0)}
		},
	} {
		t.Run(name, func(t *testing.T) {
			fake := cartevotest.NewServer()
			defer fake.Close()
			planted := tok(time.Now())
			cache := tokencache.New(tokencache.WithStore(plantedStore{tokencache.Entry{Token: planted, RefreshAt: planted.ExpiresAt.Add(-5 * time.Minute)}}))
			defer cache.Close()
			c, err := cartevo.New(cartevotest.ClientID, cartevotest.ClientKey, cartevo.WithBaseURL(fake.URL()), cartevo.WithCache(cache))
			require.NoError(t, err)
			defer c.Close()
			got, err := c.AccessToken(context.Background())
			require.NoError(t, err)
			assert.NotEqual(t, planted.Value, got.Value, "the planted token was served")
			assert.Equal(t, 1, fake.Mints(), "minted instead")
		})
	}
}
