package tokencache

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
)

const secret = "sk_live_SUPERSECRET_token_value"

func TestTokenNeverPrintsValue(t *testing.T) {
	tok := Token{Value: secret, Type: "Bearer", ExpiresAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Extra: map[string]string{"page_url": "https://pay.example/p?token=" + secret}}
	type wrapper struct {
		Tok Token
		Ptr *Token
	}
	outputs := map[string]string{
		"String": tok.String(),
		"%v":     fmt.Sprintf("%v", tok),
		"%+v":    fmt.Sprintf("%+v", tok),
		"%#v":    fmt.Sprintf("%#v", tok),
		"%s":     fmt.Sprintf("%s", tok), //lint:ignore S1025 the verb itself is under test
		"%q":     fmt.Sprintf("%q", tok),
		"ptr %v": fmt.Sprintf("%v", &tok),
		"nested": fmt.Sprintf("%+v", wrapper{Tok: tok, Ptr: &tok}),
		"slice":  fmt.Sprintf("%v", []Token{tok}),
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("t", "token", tok)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("t", "token", tok)
	outputs["slog"] = buf.String()

	for name, out := range outputs {
		assert.NotContains(t, out, "SUPERSECRET", name)
	}
	assert.Equal(t, "Bearer [redacted] exp=2026-01-02T03:04:05Z", tok.String())
	assert.Contains(t, outputs["%#v"], `tokencache.Token{Value:"[redacted]", Type:"Bearer"`)
	assert.Contains(t, outputs["slog"], `"expires_at":"2026-01-02T03:04:05Z"`)
	assert.Contains(t, outputs["slog"], `"extra_keys":["page_url"]`)
	assert.Contains(t, outputs["%#v"], `Extra:["page_url"]`)
	assert.Equal(t, "Token <empty> exp=0001-01-01T00:00:00Z", Token{}.String())
}

func TestLoggerNeverSeesTokensOrKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf bytes.Buffer
		clk := newFakeClock()
		c := New(WithClock(clk.Now), WithRefreshJitter(0), WithLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		defer c.Close()
		key := "cartevo:someone@example.com"
		_, err := c.Get(bg, key, func(context.Context) (Token, error) {
			return Token{Value: secret, ExpiresAt: clk.Now().Add(time.Hour)}, nil
		})
		assert.NoError(t, err)
		_, _ = c.Get(bg, key+"2", (&minter{now: clk.Now, err: errUpstream}).fetch)

		out := buf.String()
		assert.Contains(t, out, "token fetched")
		assert.Contains(t, out, "token fetch failed")
		assert.Contains(t, out, "key_hash")
		assert.NotContains(t, out, "SUPERSECRET")
		assert.NotContains(t, out, "someone@example.com")
	})
}

func TestTokenLogValueSaysWhetherEmpty(t *testing.T) {
	attrs := func(tok Token) map[string]any {
		m := map[string]any{}
		for _, a := range tok.LogValue().Group() {
			m[a.Key] = a.Value.Any()
		}
		return m
	}
	assert.Equal(t, true, attrs(Token{})["empty"])
	assert.Equal(t, false, attrs(Token{Value: "secret"})["empty"])
}
