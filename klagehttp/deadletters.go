package klagehttp

import (
	"fmt"
	"net/http"
	"time"
)

// deadLetter is one item of GET /dead-letters: a notification set aside
// for good, with why.
type deadLetter struct {
	notification
	DeadLetteredAt time.Time `json:"dead_lettered_at"`
	Unreadable     string    `json:"unreadable,omitempty"` // why the stored message could not be read
}

// deadLetters answers GET /dead-letters: staff see the notifications that
// were set aside for good (no address, a receiver that refused them, a
// stored row that could not be read), oldest first, with the reason.
func (srv *Handler) deadLetters(w http.ResponseWriter, r *http.Request) {
	if p := needPrincipal(w, r); p == nil {
		return
	} else if !p.staff() {
		srv.fail(w, r, fmt.Errorf("%w: dead letters are for staff", errStaffOnly))
		return
	}
	limit, ok := limitParam(w, r, srv)
	if !ok {
		return
	}
	if limit == 0 {
		limit = 100
	}
	ms, err := srv.s.DeadLetters(r.Context(), limit)
	if err != nil {
		srv.fail(w, r, err)
		return
	}
	out := make([]deadLetter, 0, len(ms))
	for _, m := range ms {
		d := deadLetter{notification: notification{Key: m.StoredKey, Topic: m.Topic, Recipient: m.Recipient, Seq: m.Seq, At: m.At,
			Attempts: m.Attempts, LastError: m.LastError}, DeadLetteredAt: m.DeadLettered, Unreadable: m.Unreadable}
		if d.Key == "" {
			d.Key = m.Key()
		}
		if m.Unreadable == "" {
			d.Data = m.Data
		}
		out = append(out, d)
	}
	writeJSON(w, http.StatusOK, out)
}

// requeueBody is the body of POST /dead-letters/requeue.
type requeueBody struct {
	Key string `json:"key"`
}

// requeue answers POST /dead-letters/requeue: staff put a dead letter back
// in the queue once its cause is fixed; the relay delivers it on its next
// pass.
func (srv *Handler) requeue(w http.ResponseWriter, r *http.Request) {
	if p := needPrincipal(w, r); p == nil {
		return
	} else if !p.staff() {
		srv.fail(w, r, fmt.Errorf("%w: dead letters are for staff", errStaffOnly))
		return
	}
	var body requeueBody
	if _, err := decode(w, r, &body); err != nil {
		srv.fail(w, r, err)
		return
	}
	if body.Key == "" || len(body.Key) > 512 {
		srv.fail(w, r, badField("key", "key is required"))
		return
	}
	if err := srv.s.Requeue(r.Context(), body.Key, srv.now()); err != nil {
		srv.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"key": body.Key, "status": "requeued"})
}
