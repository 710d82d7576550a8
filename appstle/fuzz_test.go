package appstle_test

import (
	"testing"

	"github.com/checkoutkit/checkoutkit/appstle"
)

func FuzzParseCustomerID(f *testing.F) {
	for _, s := range []string{"12345", "gid://shopify/Customer/12345", "0", "-1", "+1", "gid://shopify/Order/1", "99999999999999999999", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := appstle.ParseCustomerID(s)
		if err == nil && id <= 0 {
			t.Fatalf("ParseCustomerID(%q) = %d", s, id)
		}
	})
}
