package store

// TraceReport makes every report statement go to f until the returned
// function is called.
func TraceReport(f func(query string, args []any)) (stop func()) {
	reportTrace = f
	return func() { reportTrace = nil }
}
