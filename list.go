package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"interleave/scenarios"
)

// listEntry is one scenario as `list -format json` prints it.
type listEntry struct {
	ID    string   `json:"id"`
	Topic string   `json:"topic"`
	Title string   `json:"title"`
	Modes []string `json:"modes"`
}

func listCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "interleave list: unknown format %q: use text or json\n", *format)
		return 2
	}
	cat, err := scenarios.Builtin()
	if err != nil {
		fmt.Fprintf(stderr, "interleave list: %v\n", err)
		return 1
	}
	entries := []listEntry{}
	for _, s := range cat.All() {
		entries = append(entries, listEntry{ID: s.ID, Topic: s.Topic, Title: s.Title, Modes: s.Modes})
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(entries); err != nil {
			fmt.Fprintf(stderr, "interleave list: %v\n", err)
			return 1
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTOPIC\tTITLE")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.ID, e.Topic, e.Title)
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	return 0
}
