//go:build race

package tokencache

// raceEnabled: under the race detector sync.Pool drops a share of its
// Puts at random, so allocation counts of pooled paths are not exact.
const raceEnabled = true
