package tokencache

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A caller whose context can never end runs the flight on its own
// goroutine; callers with a deadline join that same flight, and Close still
// ends it with ErrClosed.
func TestUncancellableCallerRunsTheFlightItself(t *testing.T) {
	c := New()
	defer c.Close()
	release := make(chan struct{})
	started := make(chan struct{})
	var fetches atomic.Int32
	fetch := func(ctx context.Context) (Token, error) {
		if fetches.Add(1) == 1 {
			close(started)
		}
		<-release
		return Token{Value: "tok", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	inline := make(chan Token, 1)
	go func() {
		tok, err := c.Get(context.Background(), "k", fetch)
		assert.NoError(t, err)
		inline <- tok
	}()
	<-started
	joined := make(chan Token, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tok, err := c.Get(ctx, "k", fetch)
		assert.NoError(t, err)
		joined <- tok
	}()
	require.Eventually(t, func() bool { return c.Stats().Misses >= 2 }, 5*time.Second, time.Millisecond)
	close(release)
	assert.Equal(t, "tok", (<-inline).Value)
	assert.Equal(t, "tok", (<-joined).Value)
	assert.EqualValues(t, 1, fetches.Load(), "one fetch between them")

	// Close during an inline flight: the fetch's context ends, the caller
	// gets ErrClosed.
	c2 := New()
	hung := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := c2.Get(context.Background(), "k", func(ctx context.Context) (Token, error) {
			close(hung)
			<-ctx.Done()
			return Token{}, ctx.Err()
		})
		done <- err
	}()
	<-hung
	require.NoError(t, c2.Close())
	assert.ErrorIs(t, <-done, ErrClosed)
}
