package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"interleave/scenarios"
)

// catalogueFlags choose the scenarios that serve and list show: the
// built-in ones, a teacher's course folder beside them, or the course
// alone. Each flag has an INTERLEAVE_* environment twin.
type catalogueFlags struct {
	dir  *string
	only *bool
	// maxScript is -max-script (scriptFlag): a course file over it is
	// reported as a problem, since it could not run.
	maxScript *int
}

// catalogueFlagsOf adds the catalogue's flags to fs; maxScript is the
// command's -max-script (scriptFlag), defined once with the other limits
// where the command has them.
func catalogueFlagsOf(fs *flag.FlagSet, maxScript *int) catalogueFlags {
	return catalogueFlags{
		maxScript: maxScript,
		dir: fs.String("scenarios", envOr("INTERLEAVE_SCENARIOS", ""),
			"a course folder of *.star scenarios (and course.txt) shown beside the built-in ones; re-read when it changes (env INTERLEAVE_SCENARIOS)"),
		only: fs.Bool("only-course", envBool("INTERLEAVE_ONLY_COURSE", false),
			"show only the course folder's scenarios, and the built-in ones its course.txt lists (env INTERLEAVE_ONLY_COURSE)"),
	}
}

// open loads the catalogue the flags describe. Broken course files are
// not an error: the catalogue reports them in Problems.
func (f catalogueFlags) open() (*scenarios.Catalogue, error) {
	if *f.only && *f.dir == "" {
		return nil, fmt.Errorf("-only-course needs a course folder: give it with -scenarios DIR")
	}
	if err := positive("max-script", int64(*f.maxScript)); err != nil {
		return nil, err
	}
	return scenarios.Open(scenarios.Options{Dir: *f.dir, OnlyCourse: *f.only, MaxScript: *f.maxScript})
}

func envBool(name string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// listEntry is one scenario as `list -format json` prints it.
type listEntry struct {
	ID     string   `json:"id"`
	Topic  string   `json:"topic"`
	Title  string   `json:"title"`
	Modes  []string `json:"modes"`
	Course bool     `json:"course,omitempty"`
}

// listCmd prints the catalogue. Problems in a course folder go to stderr
// as file:line:col: message, and make the exit code 1, so that a teacher
// can check a course with `interleave list -scenarios DIR`.
func listCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	format := fs.String("format", "text", "output format: text or json")
	cf := catalogueFlagsOf(fs, scriptFlag(fs))
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "interleave list: unknown format %q: use text or json\n", *format)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "interleave list: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cat, err := cf.open()
	if err != nil {
		fmt.Fprintf(stderr, "interleave list: %v\n", err)
		return 2
	}
	entries := []listEntry{}
	for _, s := range cat.All() {
		entries = append(entries, listEntry{ID: s.ID, Topic: s.Topic, Title: s.Title, Modes: s.Modes, Course: s.Course})
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(entries); err != nil {
			fmt.Fprintf(stderr, "interleave list: %v\n", err)
			return 1
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTOPIC\tTITLE")
		for _, e := range entries {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", e.ID, e.Topic, e.Title)
		}
		if err := tw.Flush(); err != nil {
			return 1
		}
	}
	problems := cat.Problems()
	for _, p := range problems {
		fmt.Fprintf(stderr, "%s\n", p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "interleave list: %d problem(s) in the course folder; those files are left out\n", len(problems))
		return 1
	}
	return 0
}
