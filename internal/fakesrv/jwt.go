package fakesrv

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// SignJWT signs claims as an HS256 JWT with key, as the fakes mint their
// tokens.
func SignJWT(key []byte, claims map[string]any) string {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(claims)).SignedString(key)
	if err != nil { // HS256 with a []byte key does not fail
		panic("fakesrv: signing a JWT: " + err.Error())
	}
	return tok
}

// ParseJWT verifies an HS256 JWT signed with key by the clock now (an exp
// claim required when requireExp) and returns its claims.
func ParseJWT(key []byte, raw string, now func() time.Time, requireExp bool) (map[string]any, error) {
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(now)}
	if requireExp {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return key, nil }, opts...)
	return claims, err
}
