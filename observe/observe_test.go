package observe_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/klageflow/klage/observe"
)

type ctxKey struct{}

// recorder records the order in which it is told, and marks the context
// it returns.
type recorder struct {
	name  string
	order *[]string
}

func (o *recorder) Begin(ctx context.Context, _ observe.Operation) (context.Context, func(error)) {
	*o.order = append(*o.order, o.name+" begin")
	return context.WithValue(ctx, ctxKey{}, o.name), func(error) { *o.order = append(*o.order, o.name+" end") }
}

func TestJoin(t *testing.T) {
	assert.Nil(t, observe.Join(), "none")
	assert.Nil(t, observe.Join(nil, nil))
	var order []string
	a, b, c := &recorder{"a", &order}, &recorder{"b", &order}, &recorder{"c", &order}
	assert.Same(t, a, observe.Join(nil, a))
	all := observe.Join(observe.Join(a, b), c)
	ctx, end := all.Begin(context.Background(), observe.Operation{Op: observe.Save})
	assert.Equal(t, "c", ctx.Value(ctxKey{}), "each observer's context is passed on")
	end(nil)
	assert.Equal(t, []string{"a begin", "b begin", "c begin", "c end", "b end", "a end"}, order,
		"in order, flattened, and ended innermost first, as nested spans")
}

func TestBegin(t *testing.T) {
	ctx, end := observe.Begin(context.Background(), nil, observe.Operation{Op: observe.Save})
	assert.Nil(t, ctx.Value(ctxKey{}), "no observer: the context as it was")
	end(nil) // does nothing

	var order []string
	ctx, end = observe.Begin(context.Background(), &recorder{"a", &order}, observe.Operation{Op: observe.Save})
	assert.Equal(t, "a", ctx.Value(ctxKey{}))
	end(nil)
	assert.Equal(t, []string{"a begin", "a end"}, order)
}
