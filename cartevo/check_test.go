package cartevo

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/checkoutkit/checkoutkit/tokencache"
)

// The check every access token passes, when minted and (once the cache
// hands it the check) when loaded from a Store: each rule's violation is
// refused, a good token passes.
func TestAccessTokenCheck(t *testing.T) {
	c, err := New("client_abc", "sk_check_key", WithBaseURL("https://api.example.com/api/v1"))
	require.NoError(t, err)
	defer c.Close()
	check := c.c.check
	now := c.c.base.Cache.Now()
	good := tokencache.Token{Value: "eyJ.access.token", Type: "Bearer", ExpiresAt: now.Add(time.Hour)}
	require.NoError(t, check(good))
	for name, mod := range map[string]func(*tokencache.Token){
		"ten years":   func(t *tokencache.Token) { t.ExpiresAt = now.AddDate(10, 0, 0) },
		"expired":     func(t *tokencache.Token) { t.ExpiresAt = now.Add(-time.Minute) },
		"16 MiB":      func(t *tokencache.Token) { t.Value = strings.Repeat("a", 16<<20) },
		"over 8 KiB":  func(t *tokencache.Token) { t.Value = strings.Repeat("a", 8<<10+1) },
		"control":     func(t *tokencache.Token) { t.Value = "eyJ\r\nX-Evil: 1" },
		"not Bearer":  func(t *tokencache.Token) { t.Type = "mac" },
		"no type":     func(t *tokencache.Token) { t.Type = "" },
		"empty value": func(t *tokencache.Token) { t.Value = "" },
	} {
		tok := good
		mod(&tok)
		assert.Error(t, check(tok), name)
	}
}
