package errkind_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/internal/errkind"
)

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&complaint.InputError{Field: "note", Problem: "missing"}, "invalid_input"},
		{&complaint.TransitionError{Event: complaint.EventStart, From: complaint.StateClosed, Cause: complaint.ErrClosed}, "closed"},
		{&complaint.TransitionError{Event: complaint.EventEscalate, From: complaint.StateReceived}, "not_allowed"},
		{&complaint.PermissionError{Event: complaint.EventStart}, "forbidden"},
		{&escalation.ImpartialityError{}, "not_impartial"},
		{&complaint.VetoError{Hook: "h", Err: errors.New("no")}, "vetoed"},
		{complaint.ErrRemedyOwed, "remedy_owed"},
		{&complaint.DeliveryError{Key: "k", Err: errors.New("503")}, "undelivered"},
		{fmt.Errorf("wrapped: %w", context.Canceled), "cancelled"},
		{errors.New("disk full"), "other"},
	} {
		assert.Equal(t, tc.want, errkind.Of(tc.err), "%v", tc.err)
	}
}
