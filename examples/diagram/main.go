// Command diagram prints klage's complaint lifecycle as a state diagram.
//
//	go run ./examples/diagram                    # Mermaid stateDiagram-v2
//	go run ./examples/diagram -format graphviz   # Graphviz digraph
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/klageflow/klage/complaint"
)

func main() {
	format := flag.String("format", string(complaint.Mermaid), "diagram format: mermaid or graphviz")
	flag.Parse()
	if err := run(os.Stdout, complaint.DiagramFormat(*format)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

func run(w io.Writer, format complaint.DiagramFormat) error {
	var ref complaint.Workflow // the zero Workflow runs the reference lifecycle
	d, err := ref.Diagram(format)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, d)
	return err
}
