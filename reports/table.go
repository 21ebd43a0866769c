package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// Format is an output format of a Table.
type Format string

// The formats a Table renders to.
const (
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
	FormatCSV      Format = "csv"
	FormatJSON     Format = "json"
)

// ParseFormat checks a --format value; "md" is accepted for markdown.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatText, FormatMarkdown, FormatCSV, FormatJSON:
		return f, nil
	case "md":
		return FormatMarkdown, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, markdown, csv or json)", s)
}

// Table is a rectangular table of strings: one header, rows of the same width,
// and notes printed under it (text and Markdown only).
type Table struct {
	Title  string     `json:"title,omitempty"`
	Header []string   `json:"columns"`
	Rows   [][]string `json:"rows"`
	Notes  []string   `json:"notes,omitempty"`
}

// Render writes t to w in format f. Text and Markdown go through tablewriter;
// CSV is RFC 4180 with the header first; JSON is the Table object itself.
func (t *Table) Render(w io.Writer, f Format) error {
	for i, r := range t.Rows {
		if len(r) != len(t.Header) {
			return fmt.Errorf("reports: table row %d has %d cells, header has %d", i, len(r), len(t.Header))
		}
	}
	var err error
	switch f {
	case FormatText, FormatMarkdown:
		err = t.renderTW(w, f)
	case FormatCSV:
		cw := csv.NewWriter(w)
		if err = cw.Write(t.Header); err == nil {
			err = cw.WriteAll(t.Rows) // WriteAll flushes
		}
	case FormatJSON:
		cp := *t
		if cp.Rows == nil {
			cp.Rows = [][]string{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(&cp)
	default:
		return fmt.Errorf("reports: unknown table format %q", f)
	}
	if err != nil {
		return fmt.Errorf("reports: rendering %s table: %w", f, err)
	}
	return nil
}

func (t *Table) renderTW(w io.Writer, f Format) error {
	if t.Title != "" {
		if f == FormatMarkdown {
			fmt.Fprintf(w, "### %s\n\n", t.Title)
		} else {
			fmt.Fprintf(w, "%s\n", t.Title)
		}
	}
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	}
	if f == FormatMarkdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	} else {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleASCII)})))
	}
	header, rows := t.Header, t.Rows
	if f == FormatMarkdown {
		// tablewriter does not escape the cell separator.
		esc := strings.NewReplacer("|", `\|`)
		header = make([]string, len(t.Header))
		for i, h := range t.Header {
			header[i] = esc.Replace(h)
		}
		rows = make([][]string, len(t.Rows))
		for i, r := range t.Rows {
			rows[i] = make([]string, len(r))
			for j, c := range r {
				rows[i][j] = esc.Replace(c)
			}
		}
	}
	tb := tablewriter.NewTable(w, opts...)
	tb.Header(header)
	if err := tb.Bulk(rows); err != nil {
		return err
	}
	if err := tb.Render(); err != nil {
		return err
	}
	if len(t.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range t.Notes {
			fmt.Fprintln(w, n)
		}
	}
	return nil
}
