package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Table is a titled grid of cells, rendered as text for the terminal and
// as Markdown for the README.
type Table struct {
	Title  string
	Note   string // shown under the table
	Header []string
	Rows   [][]string
}

// Text writes t aligned for a terminal.
func (t Table) Text(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "\n== %s\n", t.Title); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, row := range append([][]string{t.Header}, t.Rows...) {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if t.Note != "" {
		_, err := fmt.Fprintln(w, t.Note)
		return err
	}
	return nil
}

// Markdown writes t as a GitHub table under a heading.
func (t Table) Markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\n#### %s\n\n", t.Title)
	fmt.Fprintf(&b, "| %s |\n", strings.Join(t.Header, " | "))
	sep := make([]string, len(t.Header))
	for i := range sep {
		sep[i] = "---"
		if i > 0 {
			sep[i] = "--:"
		}
	}
	fmt.Fprintf(&b, "|%s|\n", strings.Join(sep, "|"))
	for _, row := range t.Rows {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(row, " | "))
	}
	if t.Note != "" {
		fmt.Fprintf(&b, "\n%s\n", t.Note)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
