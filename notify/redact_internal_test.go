package notify

import (
	"errors"
	"strings"
	"testing"
)

// TestRedactAnyCase: an SMTP error that echoes the customer's address in
// another letter case, or another address, or the password, names none of
// them.
func TestRedactAnyCase(t *testing.T) {
	err := errors.New("550 5.1.1 <karen.jensen@example.dk>: mailbox unavailable; also tried KAREN.JENSEN@EXAMPLE.DK and bo@other.example (auth as Hunter2 failed)")
	got := redact(err, "Karen.Jensen@Example.dk", "user", "hunter2")
	for _, leak := range []string{"karen", "KAREN", "bo@other", "Hunter2"} {
		if strings.Contains(got, leak) {
			t.Errorf("redact left %q in %q", leak, got)
		}
	}
	if !strings.Contains(got, "550 5.1.1") {
		t.Errorf("redact dropped the server's code: %q", got)
	}
}
