package store

// TraceReport makes every report statement go to f until the returned
// function is called.
func TraceReport(f func(query string, args []any)) (stop func()) {
	reportTrace = f
	return func() { reportTrace = nil }
}

// DecodedHits is how often s loaded a complaint without decoding its JSON.
func DecodedHits(s *SQL) int {
	s.decoded.mu.Lock()
	defer s.decoded.mu.Unlock()
	return s.decoded.hits
}

// Decoded reports whether s holds complaint id decoded.
func Decoded(s *SQL, id string) bool {
	s.decoded.mu.Lock()
	defer s.decoded.mu.Unlock()
	_, ok := s.decoded.items[id]
	return ok
}
