package notify

import (
	"fmt"
	"reflect"
	"text/template/parse"
)

// checker walks a template's parse trees and resolves every field a
// template names against the type of the data it will see, so that a
// template naming a field that does not exist is refused when the
// Renderer is built, not when the message is first sent: executing a
// sample reaches only the branches the sample takes.
type checker struct {
	trees map[string]*parse.Tree
	funcs map[string]reflect.Type // result type of each function; nil: unknown
	done  map[string]bool         // template name and dot type already checked
}

func (c *checker) template(name string, dot reflect.Type) error {
	key := name + "\x00" + fmt.Sprint(dot)
	if c.done[key] {
		return nil
	}
	c.done[key] = true
	t, ok := c.trees[name]
	if !ok || t.Root == nil {
		return fmt.Errorf("no template %q", name)
	}
	return c.list(t.Root, dot, map[string]reflect.Type{"$": dot})
}

func (c *checker) list(l *parse.ListNode, dot reflect.Type, vars map[string]reflect.Type) error {
	if l == nil {
		return nil
	}
	for _, n := range l.Nodes {
		if err := c.node(n, dot, vars); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) node(n parse.Node, dot reflect.Type, vars map[string]reflect.Type) error {
	switch n := n.(type) {
	case *parse.ActionNode:
		_, err := c.pipe(n.Pipe, dot, vars)
		return err
	case *parse.IfNode:
		return c.branch(&n.BranchNode, dot, vars, false, false)
	case *parse.WithNode:
		return c.branch(&n.BranchNode, dot, vars, true, false)
	case *parse.RangeNode:
		return c.branch(&n.BranchNode, dot, vars, true, true)
	case *parse.TemplateNode:
		var arg reflect.Type // {{template "x"}} runs x with nil data
		if n.Pipe != nil {
			t, err := c.pipe(n.Pipe, dot, vars)
			if err != nil {
				return err
			}
			arg = t
		}
		return c.template(n.Name, arg)
	case *parse.ListNode:
		return c.list(n, dot, vars)
	}
	return nil // text, comments, break, continue
}

// branch checks an if, with or range: the pipeline, the list with the dot
// the pipeline gives (with, range) and the else list with the old dot.
func (c *checker) branch(b *parse.BranchNode, dot reflect.Type, vars map[string]reflect.Type, moves, ranges bool) error {
	inner := copyVars(vars)
	t, err := c.pipe(b.Pipe, dot, inner)
	if err != nil {
		return err
	}
	in := dot
	if moves {
		in = t
		if ranges {
			in = elem(t)
			if len(b.Pipe.Decl) == 2 {
				inner[b.Pipe.Decl[0].Ident[0]], inner[b.Pipe.Decl[1].Ident[0]] = nil, in
			} else if len(b.Pipe.Decl) == 1 {
				inner[b.Pipe.Decl[0].Ident[0]] = in
			}
		}
	}
	if err := c.list(b.List, in, inner); err != nil {
		return err
	}
	return c.list(b.ElseList, dot, copyVars(vars))
}

func copyVars(v map[string]reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, len(v))
	for k, t := range v {
		out[k] = t
	}
	return out
}

// pipe returns the type a pipeline yields (nil when it cannot be known)
// and records the variables it declares.
func (c *checker) pipe(p *parse.PipeNode, dot reflect.Type, vars map[string]reflect.Type) (reflect.Type, error) {
	if p == nil {
		return dot, nil
	}
	var t reflect.Type
	for _, cmd := range p.Cmds {
		var err error
		if t, err = c.command(cmd, dot, vars); err != nil {
			return nil, err
		}
	}
	for _, v := range p.Decl {
		vars[v.Ident[0]] = t
	}
	return t, nil
}

func (c *checker) command(cmd *parse.CommandNode, dot reflect.Type, vars map[string]reflect.Type) (reflect.Type, error) {
	var first reflect.Type
	for i, arg := range cmd.Args {
		t, err := c.arg(arg, dot, vars)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			first = t
		}
	}
	return first, nil
}

func (c *checker) arg(n parse.Node, dot reflect.Type, vars map[string]reflect.Type) (reflect.Type, error) {
	switch n := n.(type) {
	case *parse.DotNode:
		return dot, nil
	case *parse.FieldNode:
		return field(dot, n.Ident)
	case *parse.VariableNode:
		t, ok := vars[n.Ident[0]]
		if !ok {
			return nil, nil // declared where the checker does not follow
		}
		return field(t, n.Ident[1:])
	case *parse.ChainNode:
		t, err := c.arg(n.Node, dot, vars)
		if err != nil {
			return nil, err
		}
		return field(t, n.Field)
	case *parse.PipeNode:
		return c.pipe(n, dot, copyVars(vars))
	case *parse.IdentifierNode:
		return c.funcs[n.Ident], nil
	case *parse.StringNode:
		return reflect.TypeFor[string](), nil
	case *parse.BoolNode:
		return reflect.TypeFor[bool](), nil
	}
	return nil, nil // numbers, nil
}

// field resolves a chain of field or method names from type t; nil means
// the type is not known (an interface, a map's any), and nothing is
// checked.
func field(t reflect.Type, names []string) (reflect.Type, error) {
	for _, name := range names {
		if t == nil || t.Kind() == reflect.Interface {
			return nil, nil
		}
		if m, ok := t.MethodByName(name); ok {
			t = result(m.Type)
			continue
		}
		if t.Kind() != reflect.Pointer {
			if m, ok := reflect.PointerTo(t).MethodByName(name); ok {
				t = result(m.Type)
				continue
			}
		}
		base := t
		if base.Kind() == reflect.Pointer {
			base = base.Elem()
		}
		switch base.Kind() {
		case reflect.Struct:
			f, ok := base.FieldByName(name)
			if !ok || !f.IsExported() {
				return nil, fmt.Errorf("%s has no field or method %s", base, name)
			}
			t = f.Type
		case reflect.Map:
			t = base.Elem()
		default:
			return nil, fmt.Errorf("%s has no field or method %s", base, name)
		}
	}
	return t, nil
}

func result(m reflect.Type) reflect.Type {
	if m.NumOut() == 0 {
		return nil
	}
	return m.Out(0)
}

// elem is the element type of what a range over t visits.
func elem(t reflect.Type) reflect.Type {
	if t == nil {
		return nil
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return t.Elem()
	}
	return nil
}
