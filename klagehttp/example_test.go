package klagehttp_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/klagehttp"
	"github.com/klageflow/klage/store"
)

// shopStaff is a shop's own staff directory: the SHA-256 of each API key.
var shopStaff = map[[sha256.Size]byte]glossary.Actor{
	sha256.Sum256([]byte("shop-key-anna")): {ID: "anna", Role: glossary.CustomerService},
}

// Mount the API under /klage/ in a service's own ServeMux, next to its own
// routes, with the shop's own authenticator: its staff send X-Shop-Key.
func Example() {
	w, err := complaint.New(complaint.Options{})
	if err != nil {
		panic(err)
	}
	s := store.NewMemory(w) // store/sqlite or store/postgres in production
	shopAuth := klagehttp.AuthenticatorFunc(func(r *http.Request) (klagehttp.Principal, error) {
		key := r.Header.Get("X-Shop-Key")
		if key == "" {
			return klagehttp.Principal{}, klagehttp.ErrNoCredential // let the next one try
		}
		sum := sha256.Sum256([]byte(key))
		for k, actor := range shopStaff {
			if subtle.ConstantTimeCompare(k[:], sum[:]) == 1 {
				return klagehttp.Principal{Actor: actor}, nil
			}
		}
		return klagehttp.Principal{}, errors.New("unknown shop key")
	})
	api, err := klagehttp.New(klagehttp.Options{Workflow: w, Store: s, Authenticator: shopAuth,
		CustomerTokenSecret: bytes.Repeat([]byte("k"), 32)}) // from a vault, the same on every replica
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "Eksempel A/S") })
	mux.Handle("/klage/", http.StripPrefix("/klage", api))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// Customer service registers a complaint taken by phone.
	body := `{"customer": {"id": "c-1", "name": "Karen Jensen", "email": "karen@example.dk", "type": "consumer"},
		"channel": "phone", "kind": "feedback", "description": "Friendly staff in the Aarhus shop."}`
	req, _ := http.NewRequest("POST", srv.URL+"/klage/complaints", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shop-Key", "shop-key-anna")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	_ = resp.Body.Close()
	fmt.Println(resp.StatusCode, strings.HasPrefix(resp.Header.Get("Location"), "/klage/complaints/"))

	// Without a credential the same route is the customer's web form; a
	// list of complaints needs one.
	resp, err = http.Get(srv.URL + "/klage/complaints")
	if err != nil {
		panic(err)
	}
	_ = resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// 201 true
	// 401
}

// An incomplete configuration is refused when the handler is built, with
// the field that is missing.
func ExampleNew_refused() {
	w, _ := complaint.New(complaint.Options{})
	_, err := klagehttp.New(klagehttp.Options{Workflow: w, Store: store.NewMemory(w)})
	var ce *klagehttp.ConfigError
	fmt.Println(errors.Is(err, klagehttp.ErrInvalidConfig), errors.As(err, &ce) && ce.Field == "CustomerTokenSecret")
	// Output: true true
}
