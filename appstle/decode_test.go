package appstle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The documented example token carries only a timestamp claim (issued
// 2024-03-04T14:20:00Z): it expires 2 hours later. Checked on the decoder
// at its own time, with no cache in between.
func TestDocumentedTokenExpiry(t *testing.T) {
	const docToken = "eyJhbGciOiJIUzI1NiJ9.eyJjdXN0b21lcklkIjoxMjM0NSwic2hvcCI6Im15c3RvcmUubXlzaG9waWZ5LmNvbSIsInRpbWVzdGFtcCI6MTcwOTU2MjAwMH0.abc123xyz789"
	issued := time.Unix(1709562000, 0).UTC()
	exp, err := expiry(docToken, nil, issued.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, issued.Add(2*time.Hour), exp.UTC(), "timestamp claim + 2 h")
	exp, err = expiry(docToken, nil, issued.Add(-time.Hour)) // a clock behind the issuer's
	require.NoError(t, err)
	assert.Equal(t, issued.Add(time.Hour), exp.UTC(), "never more than receipt + 2 h")
	exp, err = expiry("opaque-8f3c2a1e", nil, issued)
	require.NoError(t, err)
	assert.Equal(t, issued.Add(2*time.Hour), exp)
}
